"""Defect 4: a run's recorded outcome always matches what it did to the data, and the
reaper never fails a run that is demonstrably alive (busy in its apply transaction).

The heartbeat cannot write while the run's own apply transaction holds the run's row (and on
SQLite, the whole database): a slow apply looks dead by its heartbeat. Reaping it then must
change nothing: failed => nothing written; written => succeeded.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from integrations import tasks
from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually, run_command
from tests.e2e.processes import BASE_DIR

STALE_AFTER = 1


def heartbeat_is_stale(run_id: int) -> bool:
    run = SyncRun.objects.get(pk=run_id)
    return run.heartbeat_at is not None and run.heartbeat_at.timestamp() < time.time() - (
        STALE_AFTER + 0.5
    )


def assert_outcome_matches_data(run: SyncRun) -> None:
    written = Human.objects.exists()
    assert (run.status, written) in (("succeeded", True), ("failed", False)), (
        run.status,
        written,
        run.error,
    )


def reaper_in_thread() -> tuple[threading.Thread, list]:
    """The reaper task (the schedule every minute) in a thread: a blocked reaper shows."""
    reaped: list = []

    def reap() -> None:
        try:
            reaped.append(tasks.reap_stale_runs())
        finally:
            connections.close_all()

    thread = threading.Thread(target=reap, name="reaper")
    thread.start()
    return thread, reaped


class PausedApply:
    """Holds the run's first write into people_human until released: the apply transaction
    is open (the run's row confirmed and locked) and cannot go on."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith('INSERT INTO "PEOPLE_HUMAN"'):
            self.reached.set()
            assert self.release.wait(60), "the test never released the apply"
        return execute(sql, params, many, context)


def test_reaper_called_during_a_paused_apply_changes_nothing(wired, settings, transactional_db):
    settings.SYNC_HEARTBEAT_SECONDS = 0.1
    settings.SYNC_STALE_AFTER_SECONDS = STALE_AFTER
    paused = PausedApply()
    result = {}

    def cli() -> None:
        try:
            with connection.execute_wrapper(paused):
                result["cli"] = run_command("sync", "humans")
        finally:
            paused.reached.set()
            connections.close_all()

    sync = threading.Thread(target=cli, name="sync")
    sync.start()
    try:
        assert paused.reached.wait(30), "the run never reached its apply"
        run = SyncRun.objects.get()
        eventually(lambda: heartbeat_is_stale(run.pk), timeout=10, what="a stale heartbeat")

        reaper, reaped = reaper_in_thread()
        reaper.join(timeout=3)  # returns at once unless the reaper waits behind the apply
        paused.release.set()
        reaper.join(timeout=60)
    finally:
        paused.release.set()
        sync.join(timeout=60)

    run.refresh_from_db()
    assert_outcome_matches_data(run)
    assert reaped == [0], (run.status, run.error)
    assert run.status == "succeeded" and result["cli"].code == 0, result["cli"].err


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_reaper_during_a_slow_apply_on_postgresql_leaves_the_run_succeeded(
    wired, lifecycle_env, settings, transactional_db
):
    """The review's reproduction: a SHARE lock on people_human from a second connection
    makes the apply of a `manage.py sync` process wait; the reaper is called meanwhile."""
    settings.SYNC_STALE_AFTER_SECONDS = STALE_AFTER
    conf = connection.settings_dict
    blocker = psycopg.connect(
        host=conf["HOST"] or "127.0.0.1",
        port=conf["PORT"] or 5432,
        user=conf["USER"],
        dbname=conf["NAME"],
        autocommit=False,
    )
    blocker.execute("LOCK TABLE people_human IN SHARE MODE")
    env = {
        **lifecycle_env,
        "SYNC_HEARTBEAT_SECONDS": "0.1",
        "SYNC_STALE_AFTER_SECONDS": str(STALE_AFTER),
    }
    cli = subprocess.Popen(
        [sys.executable, "manage.py", "sync", "humans"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def apply_waits_on_the_lock() -> bool:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE %s",
                    ["%people_human%"],
                )
                return cursor.fetchone()[0] > 0 or cli.poll() is not None

        eventually(apply_waits_on_the_lock, timeout=30, what="the apply waiting on the lock")
        assert cli.poll() is None, cli.communicate()
        run = SyncRun.objects.get()
        eventually(lambda: heartbeat_is_stale(run.pk), timeout=10, what="a stale heartbeat")

        reaper, reaped = reaper_in_thread()
        reaper.join(timeout=3)
        blocker.commit()  # the apply goes on
        reaper.join(timeout=60)
        _out, err = cli.communicate(timeout=60)
    finally:
        blocker.close()
        if cli.poll() is None:
            cli.kill()

    run.refresh_from_db()
    assert_outcome_matches_data(run)
    assert reaped == [0], (run.status, run.error)
    assert run.status == "succeeded" and cli.returncode == 0, err
