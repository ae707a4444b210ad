"""An entry is its person, not its row: a row inserted above, or rows sorted, change where
the others are (their links follow) and nothing else of them."""

from __future__ import annotations

from integrations.models import SyncRun
from lists.models import ListEntry

HEADERS = ["ФИО", "Telegram", "Почта"]
ROWS = [
    ["Петров Иван", "@ivan_p", ""],
    ["Сидорова Анна", "", "anna@example.org"],
    ["Козлов Борис", "", ""],
]


def test_a_row_inserted_above_moves_the_others_without_changing_them(google, import_list, db):
    sheet = google.sheet([HEADERS, *ROWS])
    import_list(sheet.spreadsheet_id)
    before = {e.row_key: (e.pk, e.updated_at) for e in ListEntry.objects.all()}

    google.emulator.set_rows(sheet.spreadsheet_id, 0, [HEADERS, ["Новая Вера", "@vera"], *ROWS])
    result = import_list(sheet.spreadsheet_id)

    run = SyncRun.objects.filter(kind="lists").latest("id")
    assert (run.created, run.updated, run.unchanged) == (1, 0, 3), result.out
    assert {
        e.row_key: (e.pk, e.updated_at) for e in ListEntry.objects.exclude(full_name="Новая Вера")
    } == before
    assert ListEntry.objects.get(full_name="Петров Иван").row_number == 3  # the link follows
    assert "1 added, 0 changed, 0 removed" in result.out
