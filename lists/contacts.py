"""How people write their contacts in a sheet, and the one form we compare them in.

Telegram handles are normalised exactly as for Humans (`people.normalize`); e-mails are
compared lowercase; phones as E.164 through `phonenumbers` (Google's libphonenumber), read in
LISTS_PHONE_REGION when written without a country code, so `8 (900) 000-00-05`,
`+7 900 000 00 05` and `89000000005` are one number.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import phonenumbers
from django.utils import timezone

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WORDS = re.compile(r"[^\w-]+")
_TIMESTAMP_FORMATS = (
    "%d.%m.%Y %H:%M:%S",  # Google Forms, Russian locale
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)
# With slashes the order depends on the sheet's locale: 13/11/2026 (UK) or 11/13/2026 (US).
_SLASHED_DAY_FIRST = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y")
_SLASHED_MONTH_FIRST = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{4}\b")
# A date cell formatted as a plain number: days since 30.12.1899 (the Sheets epoch).
_SERIAL = re.compile(r"^\d{5}([.,]\d+)?$")
_SHEETS_EPOCH = datetime(1899, 12, 30)
# Russian patronymics and surnames, to tell the first name in "Фамилия Имя Отчество".
_PATRONYMIC = re.compile(r"(ич|вна|ична|оглы|кызы)$")
_SURNAME = re.compile(r"(ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ой|ая|ко|ук|юк)$")


def normalize_email(raw: str | None) -> tuple[str, bool]:
    """`(email, ok)`: lowercase, without `mailto:`; ok is False for text that is not one."""
    value = (raw or "").strip().strip("<>").strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
    if not value:
        return "", True
    value = value.lower()
    return (value, True) if _EMAIL.match(value) else ("", False)


def normalize_phone(raw: str | None, region: str) -> tuple[str, bool]:
    """`(phone, parsed)`: E.164 when the text holds a possible number (the first one, when
    it holds several or words around it), else the text as written and False."""
    value = " ".join((raw or "").split())
    if not value:
        return "", True
    number = None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        found = next(iter(phonenumbers.PhoneNumberMatcher(value, region)), None)
        number = found.number if found is not None else None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), True
    return value[:64], False


def day_first(column: list[str]) -> bool:
    """Whether a column's dates with slashes are day first (UK, and most of the world) or
    month first (US), told by the column itself: a first number over 12 is a day, a second
    over 12 is one. When no date tells, day first, as the organisation writes them."""
    for value in column:
        found = _SLASHED.match((value or "").strip())
        if found is None:
            continue
        first, second = int(found.group(1)), int(found.group(2))
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
    return True


def parse_timestamp(raw: str | None, *, day_first: bool = True) -> datetime | None:
    """A Google Forms timestamp (`12.03.2026 14:05:33` in Russian sheets; with slashes in
    the order `day_first` says; a serial number), in TIME_ZONE."""
    value = (raw or "").strip()
    if not value:
        return None
    if _SERIAL.match(value):
        days = float(value.replace(",", "."))
        if 20_000 <= days <= 80_000:  # 1954..2119: a date, not some other number
            moment = _SHEETS_EPOCH + timedelta(days=days)
            return timezone.make_aware(moment.replace(microsecond=0) + _round(moment))
        return None
    slashed = _SLASHED_DAY_FIRST if day_first else _SLASHED_MONTH_FIRST
    for pattern in (*_TIMESTAMP_FORMATS, *slashed):
        try:
            moment = datetime.strptime(value, pattern)
        except ValueError:
            continue
        return timezone.make_aware(moment)
    return None


def _round(moment: datetime) -> timedelta:
    """A serial number's fraction of a day is a float: round it to the second."""
    return timedelta(seconds=1) if moment.microsecond >= 500_000 else timedelta(0)


def name_words(text: str | None) -> tuple[str, ...]:
    """A name as comparable words: casefolded, ё as е, punctuation dropped."""
    cleaned = (text or "").casefold().replace("ё", "е")
    return tuple(w for w in _WORDS.split(cleaned) if w and w != "-")


def first_name_of(full_name: str) -> str:
    """The first name in a full name as Russians write it: "Петров Иван Сергеевич" ->
    "Иван", "Иван Петров" -> "Иван", "Петрова Анна" -> "Анна"; one word -> itself."""
    words = full_name.split()
    if len(words) >= 3 and _PATRONYMIC.search(words[2].lower()):
        return words[1]
    if (
        len(words) == 2
        and _SURNAME.search(words[0].lower())
        and not _SURNAME.search(words[1].lower())
    ):
        return words[1]
    return words[0] if words else ""
