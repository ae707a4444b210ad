"""A worker stopped with SIGTERM ends its run at once, failed, with the data untouched (and
the runs queued behind it skipped), instead of leaving a `running` row for the reaper."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from integrations import services
from integrations.models import SyncRun
from people.models import Human
from scripts.procs import ProcessGroup, parse_procfile
from tests.conftest import eventually
from tests.e2e.processes import BASE_DIR
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


def test_make_run_stopping_the_procfile_worker_waits_for_its_runs(
    wired, lifecycle_env, notion_server, settings, transactional_db, tmp_path
):
    """`make run` starts the Procfile's `worker:` line through a shell, which exits at once
    on SIGTERM: the supervisor must wait for the whole process group, not the shell, before
    it kills what is left (found by review)."""
    settings.SYNC_STALE_AFTER_SECONDS = 3600
    (command,) = [c for name, c in parse_procfile(BASE_DIR / "Procfile") if name == "worker"]
    group = ProcessGroup(log_dir=tmp_path)
    # As scripts/run.py: the Procfile's `python` is this virtualenv's.
    path = os.pathsep.join([str(Path(sys.executable).parent), lifecycle_env.get("PATH", "")])
    try:
        group.start(
            "worker", command, env={**lifecycle_env, "PATH": path}, cwd=BASE_DIR, shell=True
        )
        eventually(lambda: "ready for work" in (tmp_path / "worker.log").read_text(), timeout=30)
        start_slow_chain(notion_server)

        group.stop(grace=30)  # what scripts/run.py does on Ctrl-C or SIGTERM
    finally:
        group.stop(grace=1)

    assert_ended_by_the_stop()
