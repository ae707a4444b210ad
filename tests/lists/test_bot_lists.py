"""`/import_list <link>` and `/lists` in Telegram: accepted with #id, loaded by the worker,
ended with who of them are our people and who is new; errors in plain words."""

from __future__ import annotations

import re

from integrations.models import SyncRun
from lists.models import PeopleList
from sandbox.sample_sheets import build_signup_sheet
from tests.conftest import eventually


def run_ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"#(\d+)", text)]


def load_and_wait(organiser, worker, telegram, link: str):
    accepted = organiser.say(f"/import_list {link}")
    eventually(lambda: worker.queued(), what="task queued")
    worker.run_queued()
    end = telegram.wait_for_message(organiser.id, after=accepted.message_id)
    return accepted, end


def test_import_list_is_accepted_with_the_run_id_and_queued(bot, organiser, signup, worker):
    accepted = organiser.say(f"/import_list {signup.url}")

    run = SyncRun.objects.get(kind="lists")
    assert run_ids(accepted.text) == [run.pk]
    assert (run.trigger, run.status, run.chat_id) == ("telegram", "queued", organiser.id)
    assert run.params["list"]["spreadsheet_id"] == signup.spreadsheet_id
    eventually(lambda: worker.queued(), what="task queued")
    assert worker.queued()[0]["args"] == ([run.pk],)


def test_the_end_message_says_who_are_our_people_and_who_is_new(
    bot, organiser, signup, worker, telegram
):
    accepted, end = load_and_wait(organiser, worker, telegram, signup.url)

    run = SyncRun.objects.get(kind="lists")
    assert run.status == "succeeded"
    assert run_ids(end.text) == [run.pk]
    assert end.reply_to_message_id == accepted.message_id
    assert f"{signup.rows} rows read" in end.text
    assert "our people: 8 (by Telegram 5, by e-mail 2, by phone 1)" in end.text
    assert "new (not among our people): 6 — Варвара, Тимофей, Ника, Арсений, Ева" in end.text
    assert "skipped 2: 1 blank, 1 without a name or contact" in end.text
    assert "1 repeated submission merged" in end.text
    assert "done in" in accepted.text
    assert PeopleList.objects.get().created_by.telegram_user_id == organiser.id


def test_progress_in_the_accepted_message_speaks_of_rows(bot, organiser, signup, worker, telegram):
    accepted, _end = load_and_wait(organiser, worker, telegram, signup.url)

    versions = [e["text"] for e in accepted.edits] if accepted.edits else []
    assert not any("Notion" in text for text in versions)
    assert any("Google Sheets" in text or "rows" in text for text in versions)


def test_a_sheet_not_shared_ends_naming_the_account_to_share_it_with(
    bot, organiser, google, synced_org, worker, telegram
):
    sheet = build_signup_sheet(google.emulator, synced_org, share_with=None)

    _accepted, end = load_and_wait(organiser, worker, telegram, sheet.url)

    assert "failed" in end.text
    assert f"add {google.email} as Viewer" in end.text
    assert not PeopleList.objects.exists()


def test_without_a_link_it_explains_and_names_the_account(bot, organiser, google):
    reply = organiser.say("/import_list")

    assert "/import_list https://docs.google.com/spreadsheets/d/" in reply.text
    assert google.email in reply.text
    assert not SyncRun.objects.filter(kind="lists").exists()


def test_not_a_sheets_link_is_refused_in_plain_words(bot, organiser, google):
    reply = organiser.say("/import_list https://forms.gle/xyz123")

    assert "Google Form" in reply.text
    assert not SyncRun.objects.filter(kind="lists").exists()


def test_without_google_configured_it_says_so(bot, organiser, settings):
    settings.GOOGLE_SERVICE_ACCOUNT_FILE = ""

    reply = organiser.say("/import_list 1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd")

    assert "GOOGLE_SERVICE_ACCOUNT_FILE" in reply.text
    assert not SyncRun.objects.filter(kind="lists").exists()


def test_a_second_import_while_one_is_active_names_it(bot, organiser, signup):
    first = organiser.say(f"/import_list {signup.url}")

    second = organiser.say(f"/import_list {signup.url}")

    (run_id,) = run_ids(first.text)
    assert f"#{run_id}" in second.text
    assert "already running" in second.text
    assert SyncRun.objects.filter(kind="lists").count() == 1


def test_lists_shows_each_list_with_its_last_load(bot, organiser, signup, worker, telegram):
    load_and_wait(organiser, worker, telegram, signup.url)
    run = SyncRun.objects.get(kind="lists")

    reply = organiser.say("/lists")

    assert signup.spreadsheet.title in reply.text
    assert "14 people: our 8, new 6" in reply.text
    assert f"last load: #{run.pk}" in reply.text


def test_lists_without_any_says_how_to_add_one(bot, organiser, google):
    reply = organiser.say("/lists")

    assert "No lists yet" in reply.text
    assert google.email in reply.text


def test_help_and_the_menu_list_both_commands(google, bot, organiser, telegram):
    help_text = organiser.say("/help").text
    menus = [c["commands"] for c in telegram.calls_to("setMyCommands")]

    assert "/import_list" in help_text and "/lists" in help_text
    assert menus
    for menu in menus:
        names = [c["command"] for c in menu]
        assert "import_list" in names and "lists" in names and "sync_lists" in names
