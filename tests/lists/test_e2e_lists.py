"""Lists as a new user meets them, through the real processes: `runbot` and `qcluster`
against the Telegram, Notion and Google Sheets emulators, and `manage.py import_list`."""

from __future__ import annotations

import json
import re

import pytest

from integrations.models import SyncRun
from lists.models import ListEntry, PeopleList
from sandbox.google_sheets_emulator import GoogleSheetsEmulator
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import INACTIVE_STATUSES, build_organisation
from sandbox.sample_sheets import build_signup_sheet
from sandbox.telegram_emulator import TelegramEmulator
from tests.e2e.processes import (
    ServiceProcess,
    database_url_for_subprocesses,
    run_manage,
    service_env,
)
from tests.lists.conftest import human_of

pytestmark = pytest.mark.e2e

NOTION_TOKEN = "secret_lists_e2e"
EMAIL = "lists-e2e@volunteers-lists.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def servers(tmp_path_factory, private_key):
    with (
        NotionEmulator(token=NOTION_TOKEN) as notion,
        TelegramEmulator() as telegram,
        GoogleSheetsEmulator() as sheets,
    ):
        org = build_organisation(notion, humans=60, directions=4, seed=11)
        key = tmp_path_factory.mktemp("google") / "key.json"
        key.write_text(json.dumps(sheets.add_service_account(EMAIL, private_key=private_key)))
        yield notion, telegram, sheets, org, key


@pytest.fixture(scope="module")
def env(django_db_setup, django_db_blocker, servers):
    notion, telegram, sheets, org, key = servers
    with django_db_blocker.unblock():
        database_url = database_url_for_subprocesses()
    return service_env(
        database_url=database_url,
        telegram=telegram,
        notion=notion,
        org=org,
        inactive_statuses=INACTIVE_STATUSES,
        LANGUAGE_CODE="en",
        GOOGLE_SERVICE_ACCOUNT_FILE=str(key),
        GOOGLE_SHEETS_API_BASE_URL=sheets.base_url,
        GOOGLE_SHEETS_RETRY_BASE_DELAY="0.05",
    )


@pytest.fixture(scope="module")
def stack(env, servers, tmp_path_factory):
    _notion, telegram, _sheets, _org, _key = servers
    logs = tmp_path_factory.mktemp("lists-e2e-logs")
    bot = ServiceProcess("runbot", ["runbot"], env, logs)
    worker = ServiceProcess("qcluster", ["qcluster"], env, logs)
    calls = len(telegram.calls)
    try:
        bot.start()
        worker.start()
        worker.wait_for_log("ready for work", timeout=30)
        telegram.wait_for_call("getUpdates", after=calls, timeout=30)
        yield bot, worker
    finally:
        bot.stop(timeout=3)
        worker.stop(timeout=3)


@pytest.fixture
def synced(env, servers, transactional_db):
    result = run_manage(["sync", "humans"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    return servers


def test_a_member_loads_a_sheet_never_seen_from_the_bot(stack, synced):
    _notion, telegram, sheets, org, _key = synced
    signup = build_signup_sheet(sheets, org, share_with=EMAIL, seed=21)
    member = human_of(next(iter(signup.members)))
    user = telegram.create_user(username=member.telegram_username, first_name="Организатор")

    sent = telegram.send_message(user, f"/import_list {signup.url}")
    accepted = telegram.wait_for_message(user.id, after=sent["message_id"], timeout=15)
    end = telegram.wait_for_message(user.id, after=accepted.message_id, timeout=30)

    (run_id,) = map(int, re.findall(r"#(\d+)", accepted.text))
    run = SyncRun.objects.get(pk=run_id)
    assert run.status == "succeeded", run.error
    assert f"#{run_id}" in end.text
    assert "our people: 8 (by Telegram 5, by e-mail 2, by phone 1)" in end.text
    assert PeopleList.objects.get().entries.count() == run.created == 14


def test_the_command_line_loads_a_sheet_shared_or_says_whom_to_share_it_with(synced, env):
    _notion, _telegram, sheets, org, _key = synced
    shared = build_signup_sheet(sheets, org, share_with=EMAIL, seed=31)
    unshared = build_signup_sheet(sheets, org, share_with=None, seed=32)

    refused = run_manage(["import_list", unshared.url], env)
    dry = run_manage(["import_list", shared.url, "--dry-run"], env)
    loaded = run_manage(["import_list", shared.url], env)

    assert refused.returncode == 1
    assert f"add {EMAIL} as Viewer" in refused.stderr
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing was written." in dry.stdout
    assert loaded.returncode == 0, loaded.stderr
    assert "our people: 8" in loaded.stdout
    assert ListEntry.objects.count() == 14
