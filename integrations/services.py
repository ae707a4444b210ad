"""Services for sync runs: create (the lock), start, heartbeat, finish, execute, reap.

Every door (bot, schedule, CLI, admin) goes through these functions. The lock is the
partial unique constraint on SyncRun: creating a second queued-or-running run of a kind
raises IntegrityError in the database, which we turn into `SyncAlreadyActive`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import signals
from integrations.models import ACTIVE_STATUSES, SyncRun
from integrations.notion.errors import NotionError
from integrations.sync import registry
from integrations.sync.base import Progress, SyncContext, SyncFailed

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[SyncRun, Progress], None]


class SyncAlreadyActive(Exception):
    def __init__(self, run: SyncRun) -> None:
        super().__init__(
            _("Sync %(kind)s is already running: #%(id)s.") % {"kind": run.kind, "id": run.pk}
        )
        self.run = run


class IllegalTransition(Exception):
    pass


def sync_run_active(*, kind: str) -> SyncRun | None:
    return (
        SyncRun.objects.select_related("triggered_by")
        .filter(kind=kind, status__in=ACTIVE_STATUSES)
        .first()
    )


def sync_run_last_success(*, kind: str) -> SyncRun | None:
    return (
        SyncRun.objects.filter(kind=kind, status=SyncRun.Status.SUCCEEDED, dry_run=False)
        .exclude(started_at=None)
        .order_by("-started_at")
        .first()
    )


def sync_runs_create(
    *,
    kind: str,
    trigger: str,
    mode: str = SyncRun.Mode.FULL,
    dry_run: bool = False,
    allow_mass_deactivation: bool = False,
    triggered_by=None,
    chat_id: int | None = None,
) -> list[SyncRun]:
    """Queue a run for `kind` (or one per kind for `all`), atomically: all or none.

    Raises `SyncAlreadyActive` naming the active run when any kind is busy, and
    `registry.UnknownSyncKind` for a kind nobody registered.
    """
    kinds = registry.expand(kind)
    sync_run_reap_stale()
    try:
        with transaction.atomic():
            return [
                SyncRun.objects.create(
                    kind=name,
                    trigger=trigger,
                    mode=mode,
                    dry_run=dry_run,
                    allow_mass_deactivation=allow_mass_deactivation,
                    triggered_by=triggered_by,
                    chat_id=chat_id,
                    status=SyncRun.Status.QUEUED,
                )
                for name in kinds
            ]
    except IntegrityError:
        for name in kinds:
            active = sync_run_active(kind=name)
            if active is not None:
                raise SyncAlreadyActive(active) from None
        raise


def sync_run_record_skipped(*, kind: str, trigger: str, mode: str, reason: str) -> SyncRun:
    """A run that did not happen (another was active), kept in the history."""
    now = timezone.now()
    return SyncRun.objects.create(
        kind=kind,
        trigger=trigger,
        mode=mode,
        status=SyncRun.Status.SKIPPED,
        started_at=now,
        finished_at=now,
        error=reason,
    )


def sync_run_start(*, run: SyncRun) -> SyncRun:
    now = timezone.now()
    moved = SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.QUEUED).update(
        status=SyncRun.Status.RUNNING, started_at=now, heartbeat_at=now, phase="starting"
    )
    if not moved:
        run.refresh_from_db()
        raise IllegalTransition(f"run #{run.pk} is {run.status}, not queued")
    run.refresh_from_db()
    return run


def sync_run_heartbeat(*, run: SyncRun, phase: str = "", fetched: int | None = None) -> None:
    values = {"heartbeat_at": timezone.now()}
    if phase:
        values["phase"] = phase
    if fetched is not None:
        values["fetched"] = fetched
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(**values)


def sync_run_finish(
    *,
    run: SyncRun,
    status: str,
    error: str = "",
    counts: dict | None = None,
    warnings: list[str] | None = None,
    notion_requests: int | None = None,
) -> SyncRun:
    """running (or queued, when it never started) -> succeeded / failed / skipped."""
    if status not in (SyncRun.Status.SUCCEEDED, SyncRun.Status.FAILED, SyncRun.Status.SKIPPED):
        raise IllegalTransition(f"cannot finish with status {status}")
    values: dict = {"status": status, "finished_at": timezone.now(), "error": error, "phase": ""}
    values.update(counts or {})
    if warnings is not None:
        values["warnings"] = warnings
    if notion_requests is not None:
        values["notion_requests"] = notion_requests
    moved = SyncRun.objects.filter(pk=run.pk, status__in=ACTIVE_STATUSES).update(**values)
    run.refresh_from_db()
    if not moved:
        raise IllegalTransition(f"run #{run.pk} is already {run.status}")
    transaction.on_commit(
        lambda: signals.sync_run_finished.send(sender=SyncRun, run=run), robust=True
    )
    return run


def sync_runs_execute(
    *, runs: list[SyncRun], on_progress: ProgressCallback | None = None, gateway_factory=None
) -> list[SyncRun]:
    """Execute runs queued together (`all`) in order. When one fails, the later ones are
    skipped: directions synced against a half-known set of humans would warn for nothing."""
    done: list[SyncRun] = []
    failed: SyncRun | None = None
    for run in runs:
        if failed is not None:
            done.append(
                sync_run_finish(
                    run=run,
                    status=SyncRun.Status.SKIPPED,
                    error=_("Not run: sync #%(id)s (%(kind)s) failed before it.")
                    % {"id": failed.pk, "kind": failed.kind},
                )
            )
            continue
        try:
            run = sync_run_execute(
                run=run, on_progress=on_progress, gateway_factory=gateway_factory
            )
        except IllegalTransition:
            # Ended meanwhile (the reaper failed it while it waited in the queue).
            run.refresh_from_db()
        done.append(run)
        if run.status == SyncRun.Status.FAILED:
            failed = run
    return done


class Heartbeat:
    """Writes the run's heartbeat and progress from a thread of its own, every
    SYNC_HEARTBEAT_SECONDS, whatever the run is doing: waiting out a long Retry-After is
    still alive, and only a dead worker goes quiet (then the reaper fails the run)."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run
        self.phase = "starting"
        self.fetched = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run.pk}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.SYNC_HEARTBEAT_SECONDS):
                try:
                    sync_run_heartbeat(run=self.run, phase=self.phase, fetched=self.fetched)
                except DatabaseError:
                    logger.warning("Heartbeat of run #%s not written", self.run.pk, exc_info=True)
                    # Reconnect on the next beat: Django only checks connections' health
                    # at request boundaries, which this thread never reaches.
                    connections.close_all()
        finally:
            connections.close_all()


def _incremental_since(kind: str):
    last = sync_run_last_success(kind=kind)
    if last is None:
        return None
    return last.started_at - timedelta(seconds=settings.SYNC_INCREMENTAL_LOOKBACK_SECONDS)


def sync_run_execute(
    *,
    run: SyncRun,
    on_progress: ProgressCallback | None = None,
    gateway_factory=None,
) -> SyncRun:
    """Run a queued run to its end. Sync failures end the run as failed, never raise."""
    run = sync_run_start(run=run)
    kind = registry.get(run.kind)
    mode = run.mode
    since = None
    warnings_before: list[str] = []
    if mode == SyncRun.Mode.INCREMENTAL:
        since = _incremental_since(run.kind)
        if since is None:
            mode = SyncRun.Mode.FULL
            SyncRun.objects.filter(pk=run.pk).update(mode=mode)
            run.mode = mode
            warnings_before.append(
                _("No earlier successful run: this incremental run fetched everything.")
            )
    last = {"told": 0.0, "phase": ""}
    heartbeat = Heartbeat(run)

    def progress(p: Progress) -> None:
        now = time.monotonic()
        heartbeat.phase, heartbeat.fetched = p.phase, p.fetched
        phase_changed = p.phase != last["phase"]
        if phase_changed or now - last["told"] >= settings.SYNC_PROGRESS_SECONDS:
            last["told"], last["phase"] = now, p.phase
            run.phase, run.fetched = p.phase, p.fetched
            signals.sync_run_progress.send(sender=SyncRun, run=run, progress=p)
            if on_progress:
                on_progress(run, p)

    ctx = SyncContext(
        run_id=run.pk,
        kind=run.kind,
        mode=mode,
        dry_run=run.dry_run,
        allow_mass_deactivation=run.allow_mass_deactivation,
        since=since,
        on_progress=progress,
        gateway_factory=gateway_factory,
        warnings=warnings_before,
        confirm_alive=lambda: sync_run_confirm_alive(run_id=run.pk),
    )
    status, error = SyncRun.Status.SUCCEEDED, ""
    interrupted: BaseException | None = None
    heartbeat.start()
    try:
        kind.run(ctx)
    except (SyncFailed, NotionError) as exc:
        status, error = SyncRun.Status.FAILED, str(exc)
        logger.warning("Sync run #%s (%s) failed: %s", run.pk, run.kind, exc)
    except Exception as exc:
        status = SyncRun.Status.FAILED
        error = _("Internal error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        logger.exception("Sync run #%s (%s) crashed", run.pk, run.kind)
    except BaseException as exc:  # noqa: BLE001 - Ctrl-C, SystemExit: end the run, re-raise
        status, interrupted = SyncRun.Status.FAILED, exc
        error = _("Interrupted before the end (%(what)s). Nothing was changed.") % {
            "what": type(exc).__name__
        }
    finally:
        heartbeat.stop()
        ctx.close()
    counts = ctx.counts.as_dict()
    if status == SyncRun.Status.FAILED:
        # A failed run wrote nothing: report what was fetched, not what would have changed.
        counts = {"fetched": ctx.counts.fetched, "skipped": ctx.counts.skipped}
    try:
        run = sync_run_finish(
            run=run,
            status=status,
            error=error,
            counts=counts,
            warnings=ctx.final_warnings(),
            notion_requests=ctx.notion_requests,
        )
    except IllegalTransition:
        logger.error("Run #%s had already been ended by someone else", run.pk)
        run.refresh_from_db()
    if interrupted is not None:
        raise interrupted
    return run


def sync_run_confirm_alive(*, run_id: int) -> None:
    """Called inside a run's apply transaction, before its writes: the run must still be
    `running` (the reaper may have failed it while it waited on Notion). The row stays
    locked until the commit, so the reaper cannot fail it in between either."""
    moved = SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.RUNNING).update(
        heartbeat_at=timezone.now()
    )
    if not moved:
        raise SyncFailed(
            _("The run was ended from outside (stale-run reaper) before writing; nothing written.")
        )


def sync_run_reap_stale(*, now=None) -> list[SyncRun]:
    """Fail runs that can no longer end by themselves and release their lock: running runs
    whose heartbeat stopped (the worker died) and queued runs no worker picked up."""
    now = now or timezone.now()
    stale = [
        (
            run,
            _(
                "No worker picked the run up in %(minutes)d minutes: is the qcluster "
                "process running? Nothing was changed."
            )
            % {"minutes": settings.SYNC_QUEUED_TIMEOUT_SECONDS // 60},
        )
        for run in SyncRun.objects.filter(
            status=SyncRun.Status.QUEUED,
            queued_at__lt=now - timedelta(seconds=settings.SYNC_QUEUED_TIMEOUT_SECONDS),
        )
    ] + [
        (
            run,
            _(
                "The worker stopped answering during the run (no heartbeat since "
                "%(time)s): it was probably restarted. Nothing was changed; start "
                "the sync again."
            )
            % {"time": timezone.localtime(run.heartbeat_at).strftime("%H:%M:%S")},
        )
        for run in SyncRun.objects.filter(
            status=SyncRun.Status.RUNNING,
            heartbeat_at__lt=now - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS),
        )
    ]
    reaped = []
    for run, reason in stale:
        try:
            reaped.append(sync_run_finish(run=run, status=SyncRun.Status.FAILED, error=reason))
        except IllegalTransition:  # it ended by itself meanwhile
            continue
    return reaped


def sync_runs_enqueue(*, runs: list[SyncRun]) -> None:
    """Hand queued runs to the django-q2 worker once the transaction that made them commits
    (a worker must never look for a row that is not there yet)."""
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
