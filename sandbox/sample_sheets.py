"""A sign-up sheet for the Google Sheets emulator, as a Russian Google Form leaves it.

``build_signup_sheet(sheets, org)`` adds a spreadsheet whose one tab, «Ответы на форму (1)»,
has the form's questions as headers (column A «Отметка времени», `DD.MM.YYYY HH:MM:SS`) and
answers from the sample organisation's members, written every way people write them, and
from newcomers:

* members found by Telegram (``@Handle``, ``t.me/handle``, ``https://t.me/Handle``, plain),
  by e-mail only (capitals, spaces), by phone only (``8 (9xx) …`` where Notion has ``+7 …``);
* newcomers with contacts; one answered only the first questions (a ragged row: Google
  leaves the trailing cells out);
* one member who sent the form twice, the second time with a new phone (merged, the latest
  kept);
* one member who wrote only their name, first name first (never a match: a hint);
* a blank row, and a row with only a timestamp and a comment (skipped).

Deterministic for a given organisation and ``seed``.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.google_sheets_emulator import GoogleSheetsEmulator, Spreadsheet
    from sandbox.sample_data import Organisation

__all__ = ["FORM_HEADERS", "SignupSheet", "build_signup_sheet"]

TITLE = "Регистрация на субботник 12 апреля (ответы)"
TAB = "Ответы на форму (1)"
FORM_HEADERS = [
    "Отметка времени",
    "ФИО",
    "Ваш ник в Telegram",
    "Адрес электронной почты",
    "Телефон",
    "Из какого вы района?",
    "Были ли вы у нас раньше?",
    "Комментарий",
]
NEWCOMERS = [
    ("Белкина Варвара Андреевна", "@varya_belkina", "varya.belkina@yandex.ru", "+7 926 410-22-31"),
    ("Гусев Тимофей Ильич", "t.me/timofey_gusev", "gusev.t@mail.ru", "89154407716"),
    ("Соболева Ника", "", "nika.soboleva@gmail.com", "8 (903) 555-12-90"),
    ("Жуков Арсений Павлович", "arseny_zhukov", "", "+7 (977) 301-04-05"),
]
RAGGED_NEWCOMER = ("Лапина Ева Сергеевна", "@eva_lapina")
_DISTRICTS = ("Центральный", "Северный", "Заречный", "Ленинский", "Советский")
_BEFORE = ("Да", "Нет", "Да, 2 раза")


@dataclass
class SignupSheet:
    spreadsheet: Spreadsheet
    tab: str
    #: page id -> how the row should be matched ("telegram" / "email" / "phone")
    members: dict[str, str] = field(default_factory=dict)
    newcomers: list[str] = field(default_factory=list)
    duplicate_member: str = ""
    name_only_member: str = ""
    rows: int = 0  # rows under the header

    @property
    def url(self) -> str:
        return f"{self.spreadsheet.url}#gid=0"

    @property
    def spreadsheet_id(self) -> str:
        return self.spreadsheet.spreadsheet_id


def _contacts(org: Organisation, page_id: str) -> tuple[str, str]:
    props = org.emulator.page(page_id)["properties"]
    return (props.get("Email") or {}).get("email") or "", (props.get("Phone") or {}).get(
        "phone_number"
    ) or ""


def _national(phone: str) -> str:
    """+7 (915) 704-61-92 -> 8 (915) 704-61-92, as many people write it."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 11 and digits[0] in "78":
        return f"8 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:]}"
    return phone


def _first_last(full_name: str) -> str:
    parts = full_name.split()
    return f"{parts[1]} {parts[0]}" if len(parts) >= 2 else full_name


def build_signup_sheet(
    sheets: GoogleSheetsEmulator,
    org: Organisation,
    *,
    share_with: str | None,
    seed: int = 1,
    title: str = TITLE,
) -> SignupSheet:
    """Add the sign-up spreadsheet to `sheets`, shared with `share_with` (None: nobody)."""
    rng = random.Random(f"signup/{seed}")
    with_everything = []
    for page_id in org.active_human_ids:
        email, phone = _contacts(org, page_id)
        if org.telegram_by_human.get(page_id) and email and phone and org.names.get(page_id):
            with_everything.append((page_id, email, phone))
    if len(with_everything) < 9:
        raise ValueError("the organisation needs 9 active members with every contact")
    chosen = rng.sample(with_everything, 9)
    at = dt.datetime(2026, 3, 28, 10, 4, 11)
    rows: list[list[str]] = []
    result = SignupSheet(spreadsheet=None, tab=TAB)  # type: ignore[arg-type]

    def stamp() -> str:
        nonlocal at
        at += dt.timedelta(minutes=rng.randint(3, 95), seconds=rng.randint(0, 59))
        return at.strftime("%d.%m.%Y %H:%M:%S")

    def extras() -> list[str]:
        return [rng.choice(_DISTRICTS), rng.choice(_BEFORE), rng.choice(("", "", "Буду с другом"))]

    ways = ("@{cased}", "t.me/{handle}", "https://t.me/{cased}", "{handle}")
    for i, (page_id, email, _phone) in enumerate(chosen[:4]):
        handle = org.telegram_by_human[page_id]
        cased = "_".join(p.capitalize() for p in handle.split("_"))
        written = ways[i].format(handle=handle, cased=cased)
        other_email = email if i % 2 else ""
        rows.append([stamp(), org.names[page_id], written, other_email, "", *extras()])
        result.members[page_id] = "telegram"
    rows.append([])  # someone deleted a row's answers: a blank row stays
    for page_id, email, _phone in chosen[4:6]:
        rows.append([stamp(), org.names[page_id], "", f"  {email.upper()} ", "", *extras()])
        result.members[page_id] = "email"
    page_id, _email, phone = chosen[6]
    rows.append([stamp(), _first_last(org.names[page_id]), "", "", _national(phone), *extras()])
    result.members[page_id] = "phone"
    for name, handle, email, phone in NEWCOMERS:
        rows.append([stamp(), name, handle, email, phone, *extras()])
        result.newcomers.append(name)
    name, handle = RAGGED_NEWCOMER
    rows.append([stamp(), name, handle])  # answered the first questions only
    result.newcomers.append(name)
    # A member sends the form twice: the second answer, with a new phone, is the one kept.
    page_id, email, phone = chosen[7]
    handle = org.telegram_by_human[page_id]
    rows.append([stamp(), org.names[page_id], f"@{handle}", email, phone, *extras()])
    rows.append([stamp(), org.names[page_id], f"@{handle}", email, "+7 999 123-00-77", *extras()])
    result.members[page_id] = "telegram"
    result.duplicate_member = page_id
    # A member who wrote only their name: never matched by it, shown as a hint.
    page_id = chosen[8][0]
    rows.append([stamp(), _first_last(org.names[page_id]), "", "", "", *extras()])
    result.name_only_member = page_id
    rows.append([stamp(), "", "", "", "", "", "", "тест, не учитывать"])
    result.rows = len(rows)
    spreadsheet = sheets.add_spreadsheet(
        title, {TAB: [FORM_HEADERS, *rows]}, shared_with=[share_with] if share_with else []
    )
    spreadsheet.sheets[0].frozen_rows = 1
    result.spreadsheet = spreadsheet
    return result
