"""Read-side queries about sync runs, shared by the run lifecycle and the doors."""

from __future__ import annotations

from integrations.models import ACTIVE_STATUSES, SyncRun


def sync_run_active(*, kind: str) -> SyncRun | None:
    """The queued or running run of `kind` (the one holding its lock), if any."""
    return (
        SyncRun.objects.select_related("triggered_by")
        .filter(kind=kind, status__in=ACTIVE_STATUSES)
        .first()
    )


def sync_run_last_success(
    *, kind: str, mode: str | None = None, whole: bool = False
) -> SyncRun | None:
    """The last successful run that wrote (not a dry run), by start time; of `mode` if given;
    with `whole`, only runs of the whole kind (not asked for a part of it, like one list)."""
    runs = SyncRun.objects.filter(kind=kind, status=SyncRun.Status.SUCCEEDED, dry_run=False)
    if mode is not None:
        runs = runs.filter(mode=mode)
    if whole:
        runs = runs.filter(params={})
    return runs.exclude(started_at=None).order_by("-started_at").first()
