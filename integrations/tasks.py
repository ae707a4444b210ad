"""django-q2 entry points: thin, take ids, call services."""

from __future__ import annotations

from integrations import services
from integrations.models import SyncRun
from integrations.sync import registry


def execute_runs(run_ids: list[int]) -> list[str]:
    """Execute runs queued together (a chain), in order; their statuses for the q2 result.
    A task delivered twice finds its runs claimed or ended and does nothing."""
    by_id = {run.pk: run for run in SyncRun.objects.filter(pk__in=run_ids)}
    runs = [by_id[pk] for pk in run_ids if pk in by_id]
    done = services.sync_runs_execute(runs=runs)
    return [f"#{r.pk} {r.kind} {r.status}" for r in done]


def scheduled_sync(kind: str = registry.ALL, mode: str | None = None) -> list[str]:
    """A schedule's tick: incremental runs, full ones when a full run is due (`mode="full"`
    forces them); busy kinds are recorded as skipped."""
    done = services.scheduled_sync_run(
        kind=kind, mode=SyncRun.Mode.FULL if mode == SyncRun.Mode.FULL else None
    )
    return [f"#{r.pk} {r.kind} {r.mode} {r.status}" for r in done]


def reap_stale_runs() -> int:
    return len(services.sync_runs_reap_stale())


def refresh_webhook_events(kind: str) -> str:
    """Once the kind's webhook events are quiet, refresh the pages they name."""
    from integrations.webhooks.services import webhook_refresh_run

    run = webhook_refresh_run(kind=kind)
    return f"#{run.pk} {run.kind} {run.status}" if run else "nothing to refresh"


def refresh_pending_webhook_events() -> int:
    """The webhook's safety net (every minute): events waiting while no refresh came, and
    schema checks that never ran."""
    from integrations.webhooks.services import (
        webhook_refresh_pending,
        webhook_schema_checks_pending,
    )

    return len(webhook_refresh_pending(older_than=5)) + webhook_schema_checks_pending(
        older_than=120
    )


def notion_schema_check(kind: str, event_pk: int | None = None) -> list[str]:
    """A schema event arrived for `kind`: check its mapping against Notion again."""
    from integrations.webhooks.services import webhook_schema_recheck

    return webhook_schema_recheck(kind=kind, event_pk=event_pk)


def prune_webhook_events() -> int:
    from integrations.webhooks.services import webhook_events_prune

    return webhook_events_prune()
