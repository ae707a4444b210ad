"""Defect 1: the nightly full sync is never lost to the incremental one.

The schedules are fired as django-q2 fires them (`django_q.scheduler.scheduler()` makes the
tasks of the schedules that are due; the real `qcluster` process runs them). Only a full run
sees pages moved to the trash, so a lost full run leaves a trashed member with bot access.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from django_q.models import Schedule, Task
from django_q.scheduler import scheduler

from integrations.models import SyncRun
from people.models import Human
from tests.conftest import eventually, run_command
from tests.lifecycle.conftest import runs_of

pytestmark = pytest.mark.e2e


def tick(setting: str) -> str:
    """The name of our schedule that fires on the cron of `setting` (not the reaper's)."""
    from django.conf import settings

    return (
        Schedule.objects.exclude(func__contains="reap")
        .get(name__startswith="integrations: ", cron=getattr(settings, setting))
        .name
    )


def yesterdays_full_sync() -> None:
    """Everyone mirrored by a full run that started two days ago (a full run is due)."""
    result = run_command("sync", "all")
    assert result.code == 0, result.err
    SyncRun.objects.update(
        queued_at=F("queued_at") - timedelta(days=2),
        started_at=F("started_at") - timedelta(days=2),
        finished_at=F("finished_at") - timedelta(days=2),
    )


def fire(*names: str) -> None:
    """Make these schedules due and let django-q2's scheduler create their tasks."""
    Schedule.objects.filter(name__in=names).update(next_run=timezone.now() - timedelta(seconds=1))
    scheduler()


def tasks_done(*names: str) -> bool:
    return (
        Task.objects.filter(group__in=names).count() >= len(names)
        and not SyncRun.objects.filter(status__in=("queued", "running")).exists()
    )


@pytest.fixture
def trash_member(notion_server, sample_org):
    """`trash_member()` moves an active member's page to the trash (back out afterwards)."""
    trashed = []

    def trash() -> str:
        page_id = sample_org.active_human_ids[5]
        notion_server.trash_page(page_id)
        trashed.append(page_id)
        return page_id

    yield trash
    for page_id in trashed:
        notion_server.update_page(page_id, in_trash=False)


def test_full_tick_right_after_the_incremental_one_still_deactivates_the_trashed(
    wired, qcluster, notion_server, trash_member, transactional_db
):
    yesterdays_full_sync()
    member = trash_member()
    assert run_command("setup_schedules").code == 0
    ticks = [tick("SYNC_SCHEDULE_INCREMENTAL"), tick("SYNC_SCHEDULE_FULL")]
    notion_server.latency = 0.3  # the first tick's runs are still going when the second fires

    fire(ticks[0])  # the */15 tick and the nightly one both fall on 03:30: one goes first
    eventually(
        lambda: SyncRun.objects.filter(trigger="schedule", status="running").exists(),
        timeout=30,
        what="the first tick's run",
    )
    fire(ticks[1])
    eventually(lambda: tasks_done(*ticks), timeout=60, what="both ticks' tasks")

    assert not Human.objects.get(notion_page_id=member).is_active, qcluster.log()[-3000:]
    for kind in ("humans", "directions"):
        assert any(
            r.mode == "full" and r.status == "succeeded" and r.trigger == "schedule"
            for r in runs_of(kind)
        ), [(r.pk, r.mode, r.status, r.error) for r in runs_of(kind)]


def test_full_tick_skipped_behind_a_busy_kind_runs_at_the_next_tick(
    wired, qcluster, notion_server, trash_member, transactional_db
):
    yesterdays_full_sync()
    member = trash_member()
    assert run_command("setup_schedules").code == 0
    # A member's incremental CLI run holds the humans lock when the nightly tick fires.
    from integrations import services

    (busy,) = services.sync_runs_create(kind="humans", trigger="cli", mode="incremental")

    full, incremental = tick("SYNC_SCHEDULE_FULL"), tick("SYNC_SCHEDULE_INCREMENTAL")
    fire(full)
    eventually(
        lambda: Task.objects.filter(group=full).exists(), timeout=60, what="the nightly tick"
    )
    assert SyncRun.objects.filter(kind="humans", status="skipped").exists()
    services.sync_runs_execute(runs=[busy])
    fire(incremental)
    eventually(lambda: tasks_done(full, incremental), timeout=60, what="the next tick")

    assert not Human.objects.get(notion_page_id=member).is_active, [
        (r.pk, r.mode, r.status, r.error) for r in runs_of("humans")
    ]
