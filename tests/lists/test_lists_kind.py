"""Sync kind `lists`: `sync lists` and the schedules re-import every active list; without
Google configured it is left out of `all` and says what to set when asked for."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integrations import services
from integrations.models import RateLimitBucket, SyncRun
from integrations.sync import registry
from lists.models import ListEntry, PeopleList
from tests.conftest import run_command


@pytest.fixture
def two_lists(google, import_list):
    """Two loaded lists (two tabs of one spreadsheet) and a third switched off."""
    spreadsheet = google.emulator.add_spreadsheet(
        "Смены",
        {
            "Суббота": [["ФИО", "Telegram"], ["Анна Белова", "@anna_belova"]],
            "Воскресенье": [["ФИО", "Telegram"], ["Борис Орлов", "@boris_orlov"]],
            "Архив": [["ФИО"], ["Вера"]],
        },
        shared_with=[google.email],
    )
    for tab in ("Суббота", "Воскресенье", "Архив"):
        assert import_list(spreadsheet.spreadsheet_id, "--sheet", tab).code == 0
    PeopleList.objects.filter(sheet_title="Архив").update(is_active=False)
    google.emulator.reset_counts()
    return spreadsheet


def test_sync_lists_reimports_every_active_list_at_a_read_each(two_lists, google):
    google.emulator.set_rows(
        two_lists.spreadsheet_id,
        "Суббота",
        [["ФИО", "Telegram"], ["Анна Белова", "@anna_belova"], ["Глеб", "@gleb_new"]],
    )

    result = run_command("sync", "lists")

    run = SyncRun.objects.filter(kind="lists").latest("id")
    assert result.code == 0, result.err
    assert (run.fetched, run.created, run.unchanged) == (3, 1, 2)
    assert dict(google.emulator.request_counts) == {"token": 1, "values.get": 2}
    assert run.notion_requests == 3
    assert "«Смены — Суббота»: 2 rows read" in result.out


def test_one_unreadable_list_is_a_warning_and_the_others_load(two_lists, google):
    google.emulator.rename_sheet(two_lists.spreadsheet_id, "Воскресенье", "Старое")
    google.emulator.spreadsheet(two_lists.spreadsheet_id).sheets[1].sheet_id = 999_999
    google.emulator.set_rows(
        two_lists.spreadsheet_id,
        "Суббота",
        [["ФИО", "Telegram"], ["Анна Белова", "@anna_belova"], ["Глеб", "@gleb_new"]],
    )

    result = run_command("sync", "lists")

    run = SyncRun.objects.filter(kind="lists").latest("id")
    broken = PeopleList.objects.get(sheet_title="Воскресенье")
    assert result.code == 0, result.err
    assert run.created == 1
    assert any("«Смены — Воскресенье» was not loaded" in w for w in run.warnings)
    assert "is gone from the spreadsheet" in broken.last_error
    assert broken.entries.count() == 1  # kept as it was


def test_google_itself_failing_fails_the_run_and_writes_nothing(two_lists, google):
    before = list(ListEntry.objects.values_list("pk", "updated_at"))
    google.emulator.revoke_key(google.email)

    result = run_command("sync", "lists")

    assert result.code == 1
    assert "refused the service account key" in result.err
    assert list(ListEntry.objects.values_list("pk", "updated_at")) == before


def test_no_lists_yet_is_a_quiet_success(google, transactional_db):
    result = run_command("sync", "lists")

    assert result.code == 0, result.err
    assert "No active lists to load" in result.out


def test_without_google_lists_are_left_out_of_all_and_the_schedules(settings, transactional_db):
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""

    assert "lists" in registry.names()  # still a kind: asked for by name it says what to set
    assert "lists" not in registry.expand(registry.ALL)
    assert [r.kind for r in services.sync_runs_create(kind="all", trigger="cli")] == [
        "humans",
        "directions",
    ]


def test_with_google_lists_are_part_of_all(google, transactional_db):
    assert registry.expand(registry.ALL) == ["humans", "directions", "lists"]


def test_asked_for_by_name_without_google_it_says_what_to_set(settings, transactional_db):
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""

    result = run_command("sync", "lists")

    assert result.code == 1
    assert "GOOGLE_SERVICE_ACCOUNT_FILE" in result.err


def test_the_nightly_schedule_reimports_the_lists(two_lists, google, settings):
    settings.SYNC_SCHEDULE_FULL = "30 3 * * *"

    done = services.scheduled_sync_run(kind="lists")

    assert [(r.kind, r.mode, r.status) for r in done] == [("lists", "full", "succeeded")]
    assert services.scheduled_sync_run(kind="lists") == []  # not due again until 03:30
    assert timezone.now() >= done[0].started_at


def test_requests_take_their_slots_in_the_service_accounts_shared_limit(
    two_lists, google, settings
):
    from integrations.sheets.factory import rate_limit_key

    settings.GOOGLE_SHEETS_MAX_REQUESTS_PER_MINUTE = 600

    result = run_command("sync", "lists")

    bucket = RateLimitBucket.objects.get(key=rate_limit_key(google.email))
    assert result.code == 0, result.err
    assert bucket.next_at > 0


def test_a_run_where_every_list_failed_fails_naming_them(two_lists, google):
    google.emulator.unshare(two_lists.spreadsheet_id, google.email)

    result = run_command("sync", "lists")

    run = SyncRun.objects.filter(kind="lists").latest("id")
    assert result.code == 1, result.out
    assert run.status == "failed"
    assert "«Смены — Суббота»" in run.error and "«Смены — Воскресенье»" in run.error
    assert "as Viewer" in run.error
    assert all("as Viewer" in pl.last_error for pl in PeopleList.objects.filter(is_active=True))


def test_a_mass_removal_in_one_list_is_refused_with_the_command_that_allows_it(google, import_list):
    rows = [["ФИО", "Telegram"]] + [[f"Человек {i}", f"@person_{i}"] for i in range(10)]
    big = google.sheet(rows, title="Большой")
    small = google.sheet([["ФИО", "Telegram"], ["Анна Белова", "@anna_belova"]], title="Малый")
    assert import_list(big.spreadsheet_id).code == 0
    assert import_list(small.spreadsheet_id).code == 0
    google.emulator.set_rows(big.spreadsheet_id, 0, rows[:2])  # 9 of 10 gone

    result = run_command("sync", "lists")

    run = SyncRun.objects.filter(kind="lists").latest("id")
    big_list = PeopleList.objects.get(spreadsheet_id=big.spreadsheet_id)
    assert result.code == 0, result.err
    assert big_list.entries.count() == 10  # refused: kept as it was
    (warning,) = [w for w in run.warnings if "«Большой»" in w]
    assert "would remove 9 of its 10 entries" in warning
    assert f"manage.py import_list {big_list.sheet_link} --allow-mass-deactivation" in warning
    assert (run.fetched, run.unchanged, run.deactivated) == (1, 1, 0)  # the small list only
