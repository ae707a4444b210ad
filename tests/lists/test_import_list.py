"""`manage.py import_list`: a sheet never seen is registered and loaded, every row matched to
our people; re-imports find the same entries; errors are plain words and change nothing."""

from __future__ import annotations

import pytest

from integrations.models import SyncRun
from lists.models import ListEntry, PeopleList
from people.models import Human
from sandbox.sample_sheets import FORM_HEADERS, TAB
from tests.lists.conftest import human_of


@pytest.fixture
def loaded(signup, import_list):
    result = import_list(signup.url)
    assert result.code == 0, result.out + result.err
    return result


def rows_of(google, spreadsheet_id: str) -> list[list]:
    return google.emulator.spreadsheet(spreadsheet_id).sheet(0).rows


# --- a sheet never seen --------------------------------------------------------------------


def test_a_sheet_never_seen_is_registered_with_its_tab_and_columns(loaded, signup):
    people_list = PeopleList.objects.get()

    assert people_list.name == signup.spreadsheet.title
    assert (people_list.spreadsheet_id, people_list.sheet_title, people_list.sheet_id) == (
        signup.spreadsheet_id,
        TAB,
        0,
    )
    assert people_list.columns == {
        "submitted_at": "Отметка времени",
        "full_name": "ФИО",
        "telegram": "Ваш ник в Telegram",
        "email": "Адрес электронной почты",
        "phone": "Телефон",
    }
    assert people_list.last_run == SyncRun.objects.get(kind="lists")


def test_members_are_matched_by_telegram_then_email_then_phone(loaded, signup):
    found = {
        e.human.notion_page_id: e.match
        for e in ListEntry.objects.exclude(human=None).select_related("human")
    }

    assert found == signup.members
    assert "our people: 8 (by Telegram 5, by e-mail 2, by phone 1)" in loaded.out


def test_newcomers_are_not_found_and_named_by_their_first_names(loaded, signup):
    new = ListEntry.objects.filter(human=None).order_by("row_number")

    assert [e.full_name for e in new][:5] == signup.newcomers
    assert "new (not among our people): 6 — Варвара, Тимофей, Ника, Арсений, Ева" in loaded.out


def test_a_name_alone_is_never_a_match_only_a_hint(loaded, signup):
    entry = ListEntry.objects.get(row_key__startswith="name:")

    assert (entry.human, entry.match) == (None, "")
    assert entry.name_match == human_of(signup.name_only_member)
    assert "1 of them has a member's name: check by hand" in loaded.out


def test_a_repeated_submission_is_one_entry_the_latest(loaded, signup):
    (entry,) = ListEntry.objects.filter(human=human_of(signup.duplicate_member))

    assert entry.phone == "+79991230077"  # the second answer's
    assert "1 repeated submission merged" in loaded.out


def test_skipped_rows_are_counted_with_their_reasons(loaded, signup):
    run = SyncRun.objects.get(kind="lists")

    assert (run.fetched, run.skipped) == (signup.rows, 2)
    assert run.created == ListEntry.objects.count() == signup.rows - 2 - 1  # one merged
    assert "skipped 2: 1 blank, 1 without a name or contact" in loaded.out


def test_cells_are_kept_as_the_text_a_person_sees(loaded):
    entry = ListEntry.objects.get(full_name="Гусев Тимофей Ильич")

    assert entry.values["Телефон"] == "89154407716"
    assert entry.values["Отметка времени"].count(".") == 2  # DD.MM.YYYY HH:MM:SS
    assert entry.phone == "+79154407716"
    assert entry.submitted_at is not None


def test_a_ragged_row_is_padded(loaded):
    entry = ListEntry.objects.get(telegram_username="eva_lapina")

    assert set(entry.values) == set(FORM_HEADERS)
    assert entry.values["Телефон"] == ""


def test_a_first_load_costs_a_token_and_two_reads(loaded, google):
    assert SyncRun.objects.get(kind="lists").notion_requests == 3
    assert dict(google.emulator.request_counts) == {
        "token": 1,
        "spreadsheets.get": 1,
        "values.get": 1,
    }


def test_russian_is_what_people_read_by_default(signup, import_list, settings):
    settings.LANGUAGE_CODE = "ru"

    result = import_list(signup.url)

    assert "наши: 8 (по Telegram 5, по почте 2, по телефону 1)" in result.out
    assert "пропущено 2: 1 пустая, 1 без имени и контактов" in result.out


# --- loading again ---------------------------------------------------------------------------


def test_a_load_with_nothing_changed_writes_nothing(loaded, signup, import_list):
    before = {e.pk: e.updated_at for e in ListEntry.objects.all()}
    list_updated = PeopleList.objects.get().updated_at

    again = import_list(signup.url)

    run = SyncRun.objects.filter(kind="lists").latest("id")
    assert again.code == 0, again.err
    assert (run.created, run.updated, run.deactivated, run.unchanged) == (0, 0, 0, len(before))
    assert {e.pk: e.updated_at for e in ListEntry.objects.all()} == before
    assert PeopleList.objects.get().updated_at == list_updated
    assert PeopleList.objects.count() == 1


def test_sorted_or_shifted_rows_keep_their_entries(loaded, signup, google, import_list):
    rows = rows_of(google, signup.spreadsheet_id)
    header, body = rows[0], rows[1:]
    keys_before = dict(ListEntry.objects.values_list("row_key", "pk"))
    google.emulator.set_rows(signup.spreadsheet_id, 0, [header, [], *reversed(body)])

    result = import_list(signup.url)

    assert result.code == 0, result.err
    assert dict(ListEntry.objects.values_list("row_key", "pk")) == keys_before
    assert SyncRun.objects.filter(kind="lists").latest("id").created == 0


def test_edited_added_and_removed_rows(loaded, signup, google, import_list):
    rows = [list(r) for r in rows_of(google, signup.spreadsheet_id)]
    gusev = next(r for r in rows if r[1:2] == ["Гусев Тимофей Ильич"])
    gusev[4] = "+7 915 000 11 22"  # a new phone
    rows.remove(next(r for r in rows if r[1:2] == ["Соболева Ника"]))
    rows.append(["29.03.2026 09:00:00", "Новый Человек", "@new_person", "", ""])
    google.emulator.set_rows(signup.spreadsheet_id, 0, rows)

    result = import_list(signup.url)

    run = SyncRun.objects.filter(kind="lists").latest("id")
    assert result.code == 0, result.err
    assert (run.created, run.deactivated) == (1, 1)
    assert run.updated == 1  # Гусев; the rows below the removed one only moved up
    assert ListEntry.objects.get(full_name="Гусев Тимофей Ильич").phone == "+79150001122"
    assert not ListEntry.objects.filter(full_name="Соболева Ника").exists()
    assert "1 added" in result.out and "1 removed" in result.out


def test_a_newcomer_added_to_notion_is_matched_on_the_next_load(loaded, signup, import_list):
    human = Human.objects.create(
        notion_page_id="00000000-0000-4000-8000-00000000abcd",
        full_name="Белкина Варвара Андреевна",
        email="Varya.Belkina@yandex.ru",
    )

    import_list(signup.url)

    entry = ListEntry.objects.get(full_name="Белкина Варвара Андреевна")
    assert (entry.human, entry.match) == (human, "email")
    assert SyncRun.objects.filter(kind="lists").latest("id").updated == 1


def test_an_emptied_sheet_does_not_wipe_the_list(loaded, signup, google, import_list):
    count = ListEntry.objects.count()
    google.emulator.set_rows(signup.spreadsheet_id, 0, [FORM_HEADERS])

    refused = import_list(signup.url)
    allowed = import_list(signup.url, "--allow-mass-deactivation")

    assert refused.code == 1
    assert "--allow-mass-deactivation" in refused.err
    assert allowed.code == 0, allowed.err
    assert SyncRun.objects.filter(kind="lists").latest("id").deactivated == count
    assert not ListEntry.objects.exists()


def test_columns_edited_in_the_admin_are_used_by_the_next_load(loaded, signup, import_list):
    from lists.services import people_list_columns_set

    people_list = PeopleList.objects.get()
    people_list_columns_set(people_list=people_list, columns={**people_list.columns, "phone": ""})

    import_list(signup.url)

    assert not ListEntry.objects.exclude(phone="").exists()
    assert ListEntry.objects.filter(match="phone").count() == 0
    assert PeopleList.objects.get().columns["phone"] == ""


# --- dry run --------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_not_even_the_list(signup, import_list):
    result = import_list(signup.url, "--dry-run")

    run = SyncRun.objects.get(kind="lists")
    assert result.code == 0, result.err
    assert (run.status, run.dry_run, run.created) == ("succeeded", True, 14)
    assert not PeopleList.objects.exists()
    assert not ListEntry.objects.exists()
    assert "our people: 8" in result.out
    assert "Dry run: nothing was written." in result.out


def test_a_dry_run_of_a_known_list_changes_nothing(loaded, signup, google, import_list):
    google.emulator.set_rows(signup.spreadsheet_id, 0, [FORM_HEADERS, ["", "Один", "@one_person"]])
    before = list(ListEntry.objects.values_list("pk", "updated_at"))

    result = import_list(signup.url, "--dry-run", "--allow-mass-deactivation")

    assert result.code == 0, result.err
    assert SyncRun.objects.filter(kind="lists").latest("id").deactivated == len(before)
    assert list(ListEntry.objects.values_list("pk", "updated_at")) == before


# --- tabs and names ----------------------------------------------------------------------------


def test_the_tab_comes_from_the_link_or_sheet_and_the_name_from_name(google, import_list, db):
    spreadsheet = google.emulator.add_spreadsheet(
        "Волонтёры",
        {"Март": [["ФИО"], ["Анна"]], "Апрель": [["ФИО"], ["Борис"], ["Вера"]]},
        shared_with=[google.email],
    )
    april = spreadsheet.sheet("Апрель")

    by_gid = import_list(f"{spreadsheet.url}#gid={april.sheet_id}")
    by_sheet = import_list(spreadsheet.spreadsheet_id, "--sheet", "Март", "--name", "Март 2026")

    assert by_gid.code == 0 and by_sheet.code == 0, by_gid.err + by_sheet.err
    lists = {pl.sheet_title: pl for pl in PeopleList.objects.all()}
    assert lists["Апрель"].name == "Волонтёры — Апрель"
    assert lists["Апрель"].entries.count() == 2
    assert lists["Март"].name == "Март 2026"


def test_a_renamed_tab_is_found_by_its_id(loaded, signup, google, import_list):
    google.emulator.rename_sheet(signup.spreadsheet_id, 0, "Ответы")

    result = import_list(signup.url)

    assert result.code == 0, result.err
    assert PeopleList.objects.get().sheet_title == "Ответы"
    assert SyncRun.objects.filter(kind="lists").latest("id").created == 0


# --- errors: plain words, nothing written ---------------------------------------------------


def test_a_sheet_not_shared_names_the_account_to_share_it_with(google, synced_org, import_list):
    from sandbox.sample_sheets import build_signup_sheet

    sheet = build_signup_sheet(google.emulator, synced_org, share_with=None)

    result = import_list(sheet.url)

    assert result.code == 1
    assert f"add {google.email} as Viewer" in result.err
    assert SyncRun.objects.get(kind="lists").status == "failed"
    assert not PeopleList.objects.exists()


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("missing", "Google has no spreadsheet"),
        ("excel", "Save as Google Sheets"),
        ("empty", "is empty"),
        ("no_columns", "holds names or contacts"),
        ("no_tab", "has no tab «Нет такого»; its tabs: «Лист1»"),
        ("api_off", "Google Sheets API is switched off"),
        ("key_deleted", "refused the service account key"),
    ],
)
def test_a_load_that_cannot_happen_says_why_and_writes_nothing(setup, says, google, import_list):
    rows = [["ФИО", "Telegram"], ["Анна", "@anna_b"]]
    args = []
    spreadsheet = google.sheet(
        [] if setup == "empty" else [["Город"], ["Тверь"]] if setup == "no_columns" else rows,
        excel=setup == "excel",
    )
    link = spreadsheet.spreadsheet_id
    if setup == "missing":
        google.emulator.delete_spreadsheet(link)
    if setup == "no_tab":
        args = ["--sheet", "Нет такого"]
    if setup == "api_off":
        google.emulator.disable_api(google.project_id)
    if setup == "key_deleted":
        google.emulator.revoke_key(google.email)

    result = import_list(link, *args)

    assert result.code == 1, result.out
    assert says in result.err
    assert SyncRun.objects.get(kind="lists").status == "failed"
    assert not PeopleList.objects.exists()
    assert "Traceback" not in result.err


def test_not_a_link_is_refused_before_any_run(google, import_list):
    result = import_list("https://docs.google.com/forms/d/1FAIpQLSe/viewform")

    assert result.code == 1
    assert "Link to Sheets" in result.err
    assert not SyncRun.objects.filter(kind="lists").exists()


def test_without_google_configured_it_says_what_to_set(settings, import_list):
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""

    result = import_list("1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd")

    assert result.code == 1
    assert "GOOGLE_SERVICE_ACCOUNT_FILE" in result.err
    assert not SyncRun.objects.filter(kind="lists").exists()


def test_a_key_file_that_is_not_a_key_is_named(google, import_list):
    google.key_file.write_text('{"type": "authorized_user"}')

    result = import_list(google.sheet([["ФИО"], ["Анна"]]).spreadsheet_id)

    assert result.code == 1
    assert "is not a service account key" in result.err
    assert str(google.key_file) in result.err


def test_a_second_load_while_one_is_active_exits_2_naming_it(google, import_list):
    active = SyncRun.objects.create(kind="lists", trigger="telegram", status="running")

    result = import_list(google.sheet([["ФИО"], ["Анна"]]).spreadsheet_id)

    assert result.code == 2
    assert f"#{active.pk}" in result.err
    assert SyncRun.objects.count() == 1


# --- Google's faults ------------------------------------------------------------------------


def test_a_429_is_waited_out(signup, google, import_list):
    google.emulator.inject_fault(endpoint="values.get", status=429, count=2)

    result = import_list(signup.url)

    run = SyncRun.objects.get(kind="lists")
    assert result.code == 0, result.err
    assert run.notion_requests == 3 + 2  # the refused reads were sent again
    assert ListEntry.objects.count() == run.created > 0


@pytest.mark.parametrize(
    "fault", [{"status": 500}, {"status": 502}, {"status": 503}, {"drop": True}]
)
def test_a_server_error_or_dropped_connection_is_retried(fault, signup, google, import_list):
    google.emulator.inject_fault(endpoint="spreadsheets.get", count=1, **fault)

    result = import_list(signup.url)

    assert result.code == 0, result.err
    assert PeopleList.objects.exists()


def test_google_down_is_a_readable_failure_that_changes_nothing(
    loaded, signup, google, import_list
):
    before = list(ListEntry.objects.values_list("pk", "updated_at"))
    google.emulator.set_rows(signup.spreadsheet_id, 0, [FORM_HEADERS])
    google.emulator.inject_fault(status=503, count=100)

    result = import_list(signup.url)

    assert result.code == 1
    assert "Google Sheets is unavailable" in result.err
    assert "gave up after 5 attempts" in result.err
    assert list(ListEntry.objects.values_list("pk", "updated_at")) == before
