"""A run waiting on Notion is alive; a run whose worker died is reaped."""

import threading
from datetime import timedelta

from django.db import connections
from django.utils import timezone

from integrations import services
from integrations.models import SyncRun


def test_run_waiting_out_a_long_retry_after_is_not_reaped(org, notion, settings, sync):
    settings.SYNC_HEARTBEAT_SECONDS = 0.2
    settings.SYNC_STALE_AFTER_SECONDS = 1
    notion.inject_fault(endpoint="data_sources.query", status=429, retry_after=2, count=1)
    reaped = []
    done = threading.Event()

    def reaper():
        try:
            while not done.wait(0.2):
                reaped.extend(services.sync_run_reap_stale())
        finally:
            connections.close_all()

    thread = threading.Thread(target=reaper)
    thread.start()
    try:
        result = sync("humans")
    finally:
        done.set()
        thread.join()

    assert result.code == 0, result.err
    assert reaped == []
    assert SyncRun.objects.get().status == SyncRun.Status.SUCCEEDED


def test_run_with_a_silent_heartbeat_is_failed_and_unlocked(org, settings, sync):
    run = services.sync_runs_create(kind="humans", trigger=SyncRun.Trigger.CLI)[0]
    services.sync_run_start(run=run)
    SyncRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS + 1)
    )

    reaped = services.sync_run_reap_stale()

    run.refresh_from_db()
    assert [r.pk for r in reaped] == [run.pk]
    assert run.status == SyncRun.Status.FAILED and run.error
    assert sync("humans").code == 0  # the lock is free again
