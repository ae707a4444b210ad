"""Headers as real sheets have them: a Google Forms responses tab in Russian or English, a
title above the header row, a name split in «Имя» / «Фамилия» however they are worded."""

from __future__ import annotations

import pytest

from lists.columns import detect_columns
from lists.models import ListEntry, PeopleList


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Отметка времени", "Адрес электронной почты", "Ваш ник в телеграме", "ФИО участника"],
            {
                "submitted_at": "Отметка времени",
                "full_name": "ФИО участника",
                "telegram": "Ваш ник в телеграме",
                "email": "Адрес электронной почты",
            },
        ),
        (
            ["Timestamp", "Email Address", "Your name", "Telegram"],
            {
                "submitted_at": "Timestamp",
                "full_name": "Your name",
                "telegram": "Telegram",
                "email": "Email Address",
            },
        ),
        (
            ["Name", "Surname", "Phone"],
            {"first_name": "Name", "last_name": "Surname", "phone": "Phone"},
        ),
        (
            ["Ваше имя", "Ваша фамилия", "Почта"],
            {"first_name": "Ваше имя", "last_name": "Ваша фамилия", "email": "Почта"},
        ),
        (["ФИО полностью", "Ник"], {"full_name": "ФИО полностью", "telegram": "Ник"}),
    ],
)
def test_headers_of_real_sheets_are_recognised(headers, expected):
    assert detect_columns(headers) == expected


def test_a_title_row_above_the_header_is_not_the_header(google, import_list, db):
    sheet = google.sheet(
        [
            ["Регистрация на субботник 12 апреля"],
            [],
            ["Отметка времени", "ФИО", "Ваш ник в телеграме", "Адрес электронной почты"],
            ["01.12.2026 10:00:00", "Петров Иван", "@ivan_p", "ivan@example.org"],
        ]
    )

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    assert PeopleList.objects.get().columns["telegram"] == "Ваш ник в телеграме"
    entry = ListEntry.objects.get()
    assert (entry.row_number, entry.telegram_username) == (4, "ivan_p")


def test_a_split_name_keeps_the_surname(google, import_list, db):
    sheet = google.sheet([["Name", "Surname", "Email"], ["Иван", "Петров", "ivan@example.org"]])

    import_list(sheet.spreadsheet_id)

    assert ListEntry.objects.get().full_name == "Петров Иван"
