"""Which column of a sheet holds what, found by its header in Russian or English.

Google Forms writes the questions as headers («Отметка времени», «Ваш ник в Telegram»,
«Адрес электронной почты»...), people who make sheets by hand write anything («ФИО»,
«Телеграм», «Почта», «Phone»). A header is compared casefolded, with ё as е and punctuation
as spaces; the rules below are tried in order, so «Имя в Telegram» is the Telegram column and
not the first name. The detected mapping is kept on the list and can be edited in the admin.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy

#: the fields a list can map, in the order the admin shows them
FIELDS = (
    "submitted_at",
    "full_name",
    "last_name",
    "first_name",
    "middle_name",
    "telegram",
    "email",
    "phone",
)
FIELD_LABELS = {
    "submitted_at": gettext_lazy("Submitted at"),
    "full_name": gettext_lazy("Full name"),
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "middle_name": gettext_lazy("Middle name"),
    "telegram": gettext_lazy("Telegram"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
}
#: fields that tell who a row is: a list needs at least one of them
IDENTIFYING = ("full_name", "last_name", "first_name", "telegram", "email", "phone")

# (field, pattern on the cleaned header), first match wins; patterns are anchored on words.
# NAME is a header that is the whole name or the first name, depending on whether the sheet
# has a surname column too («Name» + «Surname», «Ваше имя» + «Ваша фамилия»).
NAME = "name"
_RULES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "submitted_at",
            r"^(отметка времени|timestamp|дата и время|время заполнения|submitted at)$",
        ),
        ("telegram", r"(telegram|телеграм|телеграмм|\btg\b|\bтг\b|\bтелега\b)"),
        ("telegram", r"^(ваш )?(ник|никнейм|nickname|username|user name)$"),
        ("email", r"(e ?mail|\bпочт|электронн|\bмейл|\bemail)"),
        ("phone", r"(телефон|\bphone|\bmobile|мобильн|\bтел\b|номер для связи|whatsapp|ватсап)"),
        ("full_name", r"\b(фио|ф и о)\b"),
        (
            "full_name",
            r"^(ваши |ваше |your )?(full name|name and surname|имя и фамилия|"
            r"фамилия и имя|фамилия имя отчество|фамилия имя|имя фамилия|полное имя|"
            r"как вас зовут|участник|first and last name|name surname)$",
        ),
        ("last_name", r"^(ваша |your )?(фамилия|last name|surname|family name)$"),
        ("middle_name", r"^(ваше |your )?(отчество|middle name|patronymic)$"),
        ("first_name", r"^(ваше |your )?(first name|given name)$"),
        (NAME, r"^(ваше |your )?(имя|name)$"),
    )
)


def clean_header(text: str) -> str:
    """A header as compared: casefolded, ё as е, anything but letters and digits as spaces."""
    value = (text or "").casefold().replace("ё", "е")
    value = re.sub(r"\(.*?\)", " ", value)  # «Телефон (для связи)» -> «телефон»
    value = re.sub(r"[^\w]+", " ", value).replace("_", " ")
    return " ".join(value.split())


def detect_columns(headers: list[str]) -> dict[str, str]:
    """field -> header for every field some header names (the first such header)."""
    found: dict[str, str] = {}
    for header in headers:
        cleaned = clean_header(header)
        if not cleaned:
            continue
        for name, pattern in _RULES:
            if pattern.search(cleaned):
                found.setdefault(name, header)
                break
    if NAME in found:
        header = found.pop(NAME)
        split = "last_name" in found and "first_name" not in found
        found.setdefault("first_name" if split else "full_name", header)
    return {name: found[name] for name in FIELDS if name in found}


def looks_like_header(cells: list[str]) -> bool:
    """Whether a row names a column that tells who a person is (a title above the header
    row, «Регистрация на субботник», does not)."""
    return any(name in IDENTIFYING for name in detect_columns(cells))


def effective_columns(
    *, saved: dict[str, str], headers: list[str]
) -> tuple[dict[str, str], list[str]]:
    """The mapping a load uses: the saved one (edited in the admin), with a field the admin
    switched off (empty) left off, a saved header that is gone replaced by detection, and
    fields never saved detected. Returns it and the saved headers that were not found."""
    detected = detect_columns(headers)
    present = set(headers)
    mapping: dict[str, str] = {}
    missing: list[str] = []
    for name in FIELDS:
        if name in saved:
            header = saved[name]
            if not header:
                continue
            if header in present:
                mapping[name] = header
                continue
            missing.append(header)
        if name in detected and detected[name] not in mapping.values():
            mapping[name] = detected[name]
    return mapping, missing
