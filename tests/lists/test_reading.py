"""Reading a tab: headers found by name in Russian and English, ragged and blank rows,
duplicate and blank headers, and who each row is (the same form as for Humans)."""

from __future__ import annotations

import pytest

from lists.columns import detect_columns, effective_columns
from lists.contacts import first_name_of, normalize_email, normalize_phone
from lists.persons import persons_of
from lists.table import read_table


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Отметка времени", "ФИО", "Ваш ник в Telegram", "Адрес электронной почты", "Телефон"],
            {
                "submitted_at": "Отметка времени",
                "full_name": "ФИО",
                "telegram": "Ваш ник в Telegram",
                "email": "Адрес электронной почты",
                "phone": "Телефон",
            },
        ),
        (
            ["Фамилия", "Имя", "Отчество", "Телеграм", "Почта", "Номер телефона (для связи)"],
            {
                "last_name": "Фамилия",
                "first_name": "Имя",
                "middle_name": "Отчество",
                "telegram": "Телеграм",
                "email": "Почта",
                "phone": "Номер телефона (для связи)",
            },
        ),
        (
            ["Timestamp", "Full name", "Telegram handle", "Email Address", "Phone number"],
            {
                "submitted_at": "Timestamp",
                "full_name": "Full name",
                "telegram": "Telegram handle",
                "email": "Email Address",
                "phone": "Phone number",
            },
        ),
        (
            ["Имя в Telegram", "Ф.И.О.", "E-mail"],
            {"telegram": "Имя в Telegram", "full_name": "Ф.И.О.", "email": "E-mail"},
        ),
        (["Из какого вы района?", "Комментарий"], {}),
    ],
)
def test_columns_are_found_by_their_headers(headers, expected):
    assert detect_columns(headers) == expected


def test_an_admins_mapping_wins_and_an_empty_field_stays_off():
    headers = ["ФИО", "Телефон", "Мобильный", "Почта"]

    mapping, missing = effective_columns(
        saved={"phone": "Мобильный", "email": "", "telegram": "Ник"}, headers=headers
    )

    assert mapping == {"full_name": "ФИО", "phone": "Мобильный"}
    assert missing == ["Ник"]


def test_headers_come_from_the_first_non_empty_row_and_are_made_unique():
    table = read_table([[], [" ФИО ", "Телефон", "", "Телефон"], ["Иван", "1", "x", "2", "3"]])

    assert table.header_row == 2
    assert table.headers == ["ФИО", "Телефон", "[C]", "Телефон (2)", "[E]"]
    assert table.rows[0].cells == {
        "ФИО": "Иван",
        "Телефон": "1",
        "[C]": "x",
        "Телефон (2)": "2",
        "[E]": "3",
    }


def test_ragged_rows_are_padded_and_blank_rows_skipped():
    table = read_table([["ФИО", "Telegram", "Телефон"], ["Анна Белова"], [], ["", " ", ""]])
    columns = detect_columns(table.headers)

    persons, _problems = persons_of(table, columns, region="RU")

    assert [p.full_name for p in persons.people] == ["Анна Белова"]
    assert persons.people[0].values == {"ФИО": "Анна Белова", "Telegram": "", "Телефон": ""}
    assert persons.skipped == {"blank": 2}
    assert persons.rows == 3


def test_an_empty_tab_has_no_table():
    assert read_table([]) is None
    assert read_table([[], [""]]) is None


@pytest.mark.parametrize(
    "written",
    ["8 (900) 000-00-05", "+7 900 000 00 05", "89000000005", "9000000005", "тел. 8-900-000-00-05"],
)
def test_phones_written_every_way_are_one_number(written):
    assert normalize_phone(written, "RU") == ("+79000000005", True)


def test_a_phone_that_is_not_one_is_kept_as_written():
    assert normalize_phone("нет телефона", "RU") == ("нет телефона", False)


def test_emails_are_compared_lowercase():
    assert normalize_email("  Ivan.Petrov@Example.ORG ") == ("ivan.petrov@example.org", True)
    assert normalize_email("mailto:a@b.ru") == ("a@b.ru", True)
    assert normalize_email("ivan at mail") == ("", False)


@pytest.mark.parametrize(
    ("full_name", "first"),
    [
        ("Петров Иван Сергеевич", "Иван"),
        ("Гусев Тимофей Ильич", "Тимофей"),
        ("Иван Петров", "Иван"),
        ("Петрова Анна", "Анна"),
        ("Ирина Петрова", "Ирина"),
        ("Ника", "Ника"),
    ],
)
def test_the_first_name_of_a_russian_full_name(full_name, first):
    assert first_name_of(full_name) == first


def test_repeated_submissions_are_one_person_the_latest():
    table = read_table(
        [
            ["Отметка времени", "ФИО", "Ваш ник в Telegram", "Телефон"],
            ["01.04.2026 10:00:00", "Иван Петров", "@Ivan_Petrov", "8 900 000 00 05"],
            ["01.04.2026 09:00:00", "Иван Петров", "", "+7 900 000-00-05"],  # the earliest
            ["01.04.2026 12:00:00", "Иван Петров", "t.me/ivan_petrov", "+7 999 111 22 33"],
            ["01.04.2026 11:00:00", "Анна", "", ""],
            ["01.04.2026 13:00:00", "анна", "", ""],
        ]
    )

    persons, _problems = persons_of(table, detect_columns(table.headers), region="RU")

    ivan, anna = persons.people
    assert (ivan.row_number, ivan.phone, ivan.row_key) == (4, "+79991112233", "tg:ivan_petrov")
    assert (anna.row_number, anna.row_key) == (6, "name:анна")
    assert persons.merged == 3


def test_a_row_with_nothing_to_tell_who_it_is_is_skipped():
    table = read_table(
        [["Отметка времени", "ФИО", "Telegram"], ["01.04.2026 10:00:00", "", "не знаю"]]
    )

    persons, problems = persons_of(table, detect_columns(table.headers), region="RU")

    assert persons.people == []
    assert persons.skipped == {"no_identity": 1}
    assert problems == [(2, "'не знаю' is not a Telegram username")]
