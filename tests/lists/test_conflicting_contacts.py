"""A row is one of our people only when its contacts agree: a handle of one member and the
e-mail of another is nobody's (and said so); rows that share a contact but are clearly
different people (a parent's phone on two children's rows) stay two entries."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun
from lists.models import ListEntry
from people.models import Human

HEADERS = ["Отметка времени", "ФИО", "Telegram", "Почта", "Телефон"]


@pytest.fixture
def anna(transactional_db):
    return Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-0000000000a1",
        full_name="Смирнова Анна",
        telegram_username="anna_smirnova",
        email="anna@example.org",
        is_active=True,
    )


@pytest.fixture
def boris(transactional_db):
    return Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-0000000000b2",
        full_name="Козлов Борис",
        email="boris@example.org",
        phone="+7 900 000-00-02",
        is_active=True,
    )


def test_a_row_whose_contacts_point_at_two_members_is_matched_to_neither(
    google, import_list, anna, boris
):
    sheet = google.sheet(
        [HEADERS, ["01.12.2026 10:00:00", "Анна", "@anna_smirnova", "boris@example.org", ""]]
    )

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    entry = ListEntry.objects.get()
    assert (entry.human, entry.match) == (None, "")
    run = SyncRun.objects.get(kind="lists")
    assert any("row 2" in w and "Смирнова Анна" in w and "Козлов Борис" in w for w in run.warnings)
    assert "contacts of different members: 1" in result.out


def test_contacts_that_agree_are_still_a_match(google, import_list, anna):
    sheet = google.sheet(
        [HEADERS, ["01.12.2026 10:00:00", "Анна", "@anna_smirnova", "ANNA@example.org", ""]]
    )

    import_list(sheet.spreadsheet_id)

    entry = ListEntry.objects.get()
    assert (entry.human, entry.match) == (anna, "telegram")


def test_two_people_sharing_a_phone_and_email_are_two_entries(google, import_list, db):
    sheet = google.sheet(
        [
            HEADERS,
            ["01.12.2026 10:00:00", "Иванова Маша", "", "mama@example.org", "8 900 111-22-33"],
            ["01.12.2026 10:05:00", "Иванов Петя", "", "mama@example.org", "+7 900 111 22 33"],
        ]
    )

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    assert sorted(ListEntry.objects.values_list("full_name", flat=True)) == [
        "Иванов Петя",
        "Иванова Маша",
    ]
    assert "repeated submission" not in result.out


def test_two_handles_sharing_a_phone_are_two_entries(google, import_list, db):
    sheet = google.sheet(
        [
            HEADERS,
            ["01.12.2026 10:00:00", "Оля", "@olya_k", "", "8 900 111-22-33"],
            ["01.12.2026 10:05:00", "Оля", "@olga_new", "", "8 900 111-22-33"],
        ]
    )

    result = import_list(sheet.spreadsheet_id)

    assert result.code == 0, result.err
    assert ListEntry.objects.count() == 2


def test_a_resubmission_with_a_new_phone_is_still_merged(google, import_list, db):
    sheet = google.sheet(
        [
            HEADERS,
            ["01.12.2026 10:00:00", "Петров Иван", "@ivan_p", "", "8 900 111-22-33"],
            ["01.12.2026 11:00:00", "Петров Иван Сергеевич", "@Ivan_P", "", "8 900 999-88-77"],
        ]
    )

    result = import_list(sheet.spreadsheet_id)

    (entry,) = ListEntry.objects.all()
    assert entry.phone == "+79009998877"
    assert "1 repeated submission merged" in result.out


def test_people_kept_apart_keep_their_entries_when_the_rows_are_reordered(google, import_list, db):
    masha = ["01.12.2026 10:00:00", "Иванова Маша", "", "mama@example.org", "8 900 111-22-33"]
    petya = ["01.12.2026 10:05:00", "Иванов Петя", "", "mama@example.org", "8 900 111-22-33"]
    sheet = google.sheet([HEADERS, masha, petya])
    import_list(sheet.spreadsheet_id)
    keys = dict(ListEntry.objects.values_list("full_name", "row_key"))

    google.emulator.set_rows(sheet.spreadsheet_id, 0, [HEADERS, petya, masha])
    import_list(sheet.spreadsheet_id)

    assert dict(ListEntry.objects.values_list("full_name", "row_key")) == keys
    assert SyncRun.objects.filter(kind="lists").latest("id").created == 0
