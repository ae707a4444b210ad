"""The 10,000-result query cap, and the one-run-per-kind lock across processes."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from integrations import services
from integrations.models import SyncRun
from people.models import Human
from sandbox.notion_emulator import NotionEmulator
from sandbox.sample_data import HUMANS_SCHEMA, add_humans
from tests.conftest import eventually
from tests.e2e.processes import database_url_for_subprocesses

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("windows", [1, 8])
def test_more_than_10000_pages_are_all_synced(settings, notion, sync, windows):
    settings.NOTION_MAX_WINDOWS = windows
    database = notion.add_database(title="Люди", properties=HUMANS_SCHEMA)
    add_humans(notion, database.database_id, 10_250, seed=11, per_minute=40)
    settings.NOTION_HUMANS_DATABASE_ID = database.database_id
    notion.reset_counts()

    result = sync("humans")

    live = len(notion.page_ids(database.database_id))
    run = SyncRun.objects.get()
    assert result.code == 0, result.err
    assert run.fetched == live
    assert Human.objects.count() + run.skipped == live
    # one extra query per window: its last answer is partial, and a query restarting at the
    # cap repeats the boundary minute
    assert run.notion_requests <= 2 + math.ceil(live / 100) + windows


def test_second_run_of_an_active_kind_exits_2_naming_it(org, sync):
    active = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.ADMIN)[0]

    result = sync("humans")

    assert result.code == 2
    assert f"#{active.pk}" in result.err
    assert SyncRun.objects.count() == 1


def test_all_is_refused_whole_when_one_kind_is_active(org, sync):
    active = services.sync_runs_create(kind="directions", trigger=SyncRun.Trigger.ADMIN)[0]

    result = sync("all")

    assert result.code == 2
    assert f"#{active.pk}" in result.err
    assert not SyncRun.objects.filter(kind="humans").exists()


def test_concurrent_cli_run_in_another_process_exits_2(settings, sync, transactional_db):
    from sandbox.sample_data import build_organisation

    with NotionEmulator(token="secret_slow", latency=0.5) as slow:
        organisation = build_organisation(slow, humans=300, directions=4, seed=5)
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocesses(),
            "NOTION_TOKEN": "secret_slow",
            "NOTION_API_BASE_URL": slow.base_url,
            "NOTION_HUMANS_DATABASE_ID": organisation.humans_database_id,
            "NOTION_DIRECTIONS_DATABASE_ID": organisation.directions_database_id,
            "NOTION_MAX_RPS": "0",
        }
        first = subprocess.Popen(
            [sys.executable, "manage.py", "sync", "humans"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            eventually(
                lambda: SyncRun.objects.filter(status="running").exists() or first.poll(),
                timeout=30,
                what="the first run started",
            )
            assert first.poll() is None, first.communicate()
            running = SyncRun.objects.get(status="running")

            second = subprocess.run(
                [sys.executable, "manage.py", "sync", "humans"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )

            assert second.returncode == 2
            assert f"#{running.pk}" in second.stderr
            _out, err = first.communicate(timeout=60)
            assert first.returncode == 0, err
        finally:
            if first.poll() is None:
                first.kill()
    assert SyncRun.objects.filter(status="succeeded").count() == 1
