"""Defect 3: a run waiting behind a live run of its own chain is never reaped as unclaimed.

`sync all` and the schedules queue a run per kind at once and execute them one after the
other; the reaper (the schedule every minute) must tell a run nobody claimed from a run
whose executor is alive and busy with the run before it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from integrations import tasks
from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually
from tests.e2e.processes import BASE_DIR
from tests.lifecycle.conftest import runs_of

pytestmark = pytest.mark.e2e


def test_second_run_of_a_cli_chain_outlasting_the_queued_timeout_is_not_reaped(
    wired, lifecycle_env, notion_server, settings, transactional_db
):
    settings.SYNC_QUEUED_TIMEOUT_SECONDS = 1
    notion_server.latency = 1.0  # humans take a few seconds: longer than the queued timeout
    cli = subprocess.Popen(
        [sys.executable, "manage.py", "sync", "all"],
        cwd=BASE_DIR,
        env={**lifecycle_env, "SYNC_QUEUED_TIMEOUT_SECONDS": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        humans = eventually(
            lambda: SyncRun.objects.filter(kind="humans", status="running").first(),
            timeout=30,
            what="the humans run",
        )
        directions = SyncRun.objects.get(kind="directions")
        eventually(
            lambda: (
                (SyncRun.objects.get(pk=directions.pk).queued_at.timestamp() + 1.5) < time.time()
            ),
            timeout=10,
            what="the queued timeout",
        )
        assert SyncRun.objects.get(pk=humans.pk).status == "running"

        reaped = tasks.reap_stale_runs()  # the reaper schedule's task, as the worker calls it

        _out, err = cli.communicate(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert reaped == 0, [(r.pk, r.status, r.error) for r in runs_of("directions")]
    assert cli.returncode == 0, err
    assert [r.status for r in runs_of("humans") + runs_of("directions")] == [
        "succeeded",
        "succeeded",
    ]
    assert Human.objects.exists()
