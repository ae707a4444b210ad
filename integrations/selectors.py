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
    """The last successful sync that wrote (not a dry run), by start time; of `mode` if given;
    with `whole`, only runs of the whole kind (not asked for a part of it, like one list).
    Refreshes of named pages (webhooks) are not syncs of the kind: an incremental run starts
    from the last full or incremental one."""
    runs = SyncRun.objects.filter(kind=kind, status=SyncRun.Status.SUCCEEDED, dry_run=False)
    runs = runs.filter(mode=mode) if mode else runs.exclude(mode=SyncRun.Mode.PAGES)
    if whole:
        runs = runs.filter(params={})
    return runs.exclude(started_at=None).order_by("-started_at").first()


def sync_run_last_failure(*, kind: str, mode: str) -> SyncRun | None:
    """The last failed run of the whole kind in `mode`, not a dry run, by start time."""
    return (
        SyncRun.objects.filter(
            kind=kind, mode=mode, status=SyncRun.Status.FAILED, dry_run=False, params={}
        )
        .exclude(started_at=None)
        .order_by("-started_at")
        .first()
    )
