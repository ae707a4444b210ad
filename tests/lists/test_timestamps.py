"""Form timestamps as sheets write them: «01.12.2026 10:00:00» (Russian), day first or month
first with slashes (told apart by the column's own dates), and a serial number when the
column is formatted as a plain number."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from lists.models import ListEntry

HEADERS = ["Timestamp", "Full name", "Telegram", "Phone"]


def local(entry: ListEntry) -> dt.datetime:
    return timezone.localtime(entry.submitted_at).replace(tzinfo=None)


def test_a_russian_timestamp_is_day_first(google, import_list, db):
    sheet = google.sheet([HEADERS, ["01.12.2026 10:00:00", "Анна", "@anna_a", ""]])

    import_list(sheet.spreadsheet_id)

    assert local(ListEntry.objects.get()) == dt.datetime(2026, 12, 1, 10, 0)


def test_day_first_slashes_are_read_day_first_in_every_row(google, import_list, db):
    sheet = google.sheet(
        [
            HEADERS,
            ["13/11/2026 10:00:00", "Иван Петров", "@ivan_p", "8 900 111-22-33"],
            ["01/12/2026 09:00:00", "Иван Петров", "@ivan_p", "8 900 999-88-77"],
        ]
    )

    import_list(sheet.spreadsheet_id)

    (entry,) = ListEntry.objects.all()
    assert local(entry) == dt.datetime(2026, 12, 1, 9, 0)
    assert entry.phone == "+79009998877"  # the later submission is kept


def test_a_serial_number_timestamp_is_a_date(google, import_list, db):
    serial = (dt.datetime(2026, 12, 1, 12, 0) - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)
    sheet = google.sheet([HEADERS, [str(serial), "Анна", "@anna_a", ""]])

    import_list(sheet.spreadsheet_id)

    assert local(ListEntry.objects.get()) == dt.datetime(2026, 12, 1, 12, 0)
