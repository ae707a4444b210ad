"""django-q2 entry points: thin, take ids, call services."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from integrations import services
from integrations.models import SyncRun

logger = logging.getLogger(__name__)


def execute_runs(run_ids: list[int]) -> list[str]:
    """Execute runs queued together, in order; returns their statuses for the q2 result."""
    runs = list(SyncRun.objects.filter(pk__in=run_ids))
    runs.sort(key=lambda r: run_ids.index(r.pk))
    runs = [r for r in runs if r.status == SyncRun.Status.QUEUED]
    done = services.sync_runs_execute(runs=runs)
    return [f"#{r.pk} {r.kind} {r.status}" for r in done]


def scheduled_sync(kind: str, mode: str = SyncRun.Mode.INCREMENTAL) -> list[str]:
    """A schedule's run: queue and execute at once. A busy kind is recorded as skipped
    (never queued twice); the others run in order, later ones skipped if one fails."""
    from integrations.sync import registry

    results, runs = [], []
    for name in registry.expand(kind):
        if mode == SyncRun.Mode.INCREMENTAL and not registry.get(name).supports_incremental:
            continue
        try:
            runs += services.sync_runs_create(
                kind=name, trigger=SyncRun.Trigger.SCHEDULE, mode=mode
            )
        except services.SyncAlreadyActive as busy:
            skipped = services.sync_run_record_skipped(
                kind=name,
                trigger=SyncRun.Trigger.SCHEDULE,
                mode=mode,
                reason=_("Skipped: #%(id)s of this kind was still active.") % {"id": busy.run.pk},
            )
            results.append(f"#{skipped.pk} {name} skipped")
    done = services.sync_runs_execute(runs=runs)
    return results + [f"#{r.pk} {r.kind} {r.status}" for r in done]


def reap_stale_runs() -> int:
    return len(services.sync_run_reap_stale())
