"""Hands runs to the django-q2 worker (`integrations.tasks.execute_runs`)."""

from __future__ import annotations

from django.db import transaction

from integrations.models import SyncRun


def sync_runs_enqueue(*, runs: list[SyncRun]) -> None:
    """Queue a chain for the worker once the transaction that made the runs commits (a
    worker must never look for a row that is not there yet). Until a worker claims them,
    the reaper gives them SYNC_QUEUED_TIMEOUT_SECONDS."""
    from django_q.tasks import async_task

    run_ids = [run.pk for run in runs]
    transaction.on_commit(
        lambda: async_task(
            "integrations.tasks.execute_runs",
            run_ids,
            task_name=f"sync {' + '.join(r.kind for r in runs)} #{run_ids[0]}",
            group="sync",
        )
    )
