"""A worker stopped with SIGTERM ends its run at once, failed, with the data untouched (and
the runs queued behind it skipped), instead of leaving a `running` row for the reaper."""

from __future__ import annotations

import os
import signal

import pytest

from integrations import services
from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually
from tests.lifecycle.conftest import runs_of

pytestmark = pytest.mark.e2e


def start_slow_chain(notion_server) -> list[SyncRun]:
    notion_server.latency = 1.0  # the humans run lasts many seconds
    runs = services.sync_runs_create(kind="all", trigger=SyncRun.Trigger.ADMIN)
    services.sync_runs_enqueue(runs=runs)
    eventually(
        lambda: SyncRun.objects.filter(kind="humans", status="running").exists(),
        timeout=30,
        what="the humans run started",
    )
    return runs


def assert_ended_by_the_stop() -> None:
    eventually(
        lambda: not SyncRun.objects.filter(status__in=("queued", "running")).exists(),
        timeout=60,
        what="the runs ended",
    )
    (humans,), (directions,) = runs_of("humans"), runs_of("directions")
    assert humans.status == "failed", (humans.status, humans.error)
    assert "SIGTERM" in humans.error, humans.error
    assert directions.status == "skipped", (directions.status, directions.error)
    assert not Human.objects.exists()


@pytest.mark.parametrize("whole_group", [True, False], ids=["process-group", "main-process"])
def test_sigterm_to_the_worker_fails_its_run_at_once(
    wired, qcluster, notion_server, settings, transactional_db, whole_group
):
    settings.SYNC_STALE_AFTER_SECONDS = 3600  # the reaper cannot be what ends the run
    process = qcluster.process
    start_slow_chain(notion_server)

    # `make run`, systemd and `docker stop` with an init signal the whole group; a plain
    # `docker stop` signals only the main process.
    (os.killpg if whole_group else os.kill)(process.process.pid, signal.SIGTERM)

    assert_ended_by_the_stop()
    process.process.wait(timeout=30)
