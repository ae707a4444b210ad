"""What a schedule's tick runs: every kind, each in the mode that is due.

A full run is due when no full run has succeeded since the last time SYNC_SCHEDULE_FULL
came round; then the tick runs full, whichever schedule fired it. So the nightly full run
is never lost: when the incremental tick of the same minute takes the lock first, it runs
the full sync itself; when a kind is busy (a member's sync) it stays due and the next tick
runs it. A full run that failed is retried after SYNC_FULL_RETRY_SECONDS, and the ticks in
between stay incremental: a failure that waits for a person (the mass-deactivation guard)
never stops the regular syncs. Two ticks colliding lose nothing: the one that finds a kind
busy records a skipped run, and what it would have done is done by the active run or stays
due (an incremental run starts from the last successful start, whoever made it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from croniter import CroniterBadDateError, croniter
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import selectors
from integrations.models import SyncRun
from integrations.runs import executor, lifecycle
from integrations.sync import registry

logger = logging.getLogger(__name__)
Mode = SyncRun.Mode


def scheduled_sync_run(*, kind: str = registry.ALL, mode: str | None = None) -> list[SyncRun]:
    """A tick: create the runs of the kinds that are free (busy ones are recorded as
    skipped), claim and execute them here, in registry order. `mode="full"` forces full
    runs; otherwise each kind's mode is chosen by `due_mode`."""
    now = timezone.now()
    steps = []
    for name in registry.expand(kind):
        step = Mode.FULL if mode == Mode.FULL else due_mode(kind=name, now=now)
        if step is not None:
            steps.append((name, step))
    skipped: list[SyncRun] = []
    while steps:
        try:
            runs = lifecycle.sync_chain_create(
                steps=steps, trigger=SyncRun.Trigger.SCHEDULE, claim=True
            )
        except lifecycle.SyncAlreadyActive as busy:
            step_mode = dict(steps)[busy.run.kind]
            steps = [s for s in steps if s[0] != busy.run.kind]
            skipped.append(_record_skipped(busy.run, step_mode))
            continue
        return skipped + executor.sync_runs_execute(runs=runs)
    return skipped


def due_mode(*, kind: str, now: datetime) -> str | None:
    """Full when a full run is due, else incremental; None for a kind that only runs full
    and is not due."""
    if full_run_due(kind=kind, now=now):
        return Mode.FULL
    return Mode.INCREMENTAL if registry.get(kind).supports_incremental else None


def full_run_due(*, kind: str, now: datetime) -> bool:
    last = selectors.sync_run_last_success(kind=kind, mode=Mode.FULL, whole=True)
    if last is not None:
        try:
            due_at = croniter(settings.SYNC_SCHEDULE_FULL, timezone.localtime(now)).get_prev(
                datetime
            )
        except CroniterBadDateError:
            return False  # a cron string that never came round (30 February): never due
        except (ValueError, KeyError):
            logger.error("SYNC_SCHEDULE_FULL=%r is not a cron string", settings.SYNC_SCHEDULE_FULL)
            return False
        if last.started_at >= due_at:
            return False
    failed = selectors.sync_run_last_failure(kind=kind, mode=Mode.FULL)
    retry_after = timedelta(seconds=settings.SYNC_FULL_RETRY_SECONDS)
    return failed is None or failed.started_at is None or now - failed.started_at >= retry_after


def _record_skipped(active: SyncRun, mode: str) -> SyncRun:
    if mode == Mode.FULL and active.mode != Mode.FULL:
        reason = _(
            "Skipped: #%(id)s of this kind was still active; the full sync stays due and the "
            "next tick runs it."
        ) % {"id": active.pk}
    else:
        reason = _("Skipped: #%(id)s of this kind was still active.") % {"id": active.pk}
    return lifecycle.sync_run_record_skipped(
        kind=active.kind, trigger=SyncRun.Trigger.SCHEDULE, mode=mode, reason=reason
    )
