"""Executes a chain of runs in this process: the worker's task, `manage.py sync`, a
schedule's tick.

A chain is the runs queued together (`all`: every kind in registry order). The executor
claims them, keeps one heartbeat for all of them, executes them one after the other and
skips the rest once one fails (directions synced against a half-known set of humans would
warn for nothing). Each kind's writes go in the transaction the executor gives it, which
locks the run first and records the success in the same commit. KeyboardInterrupt and
SIGTERM end every run of the chain (the running one failed, the others skipped) and are
re-raised for the process to exit.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from integrations import selectors, signals
from integrations.models import SyncRun
from integrations.notion.errors import NotionError
from integrations.runs import lifecycle
from integrations.runs.heartbeat import Heartbeat
from integrations.runs.interrupt import RunInterrupted, sigterm_interrupts
from integrations.sync import registry
from integrations.sync.base import Progress, SyncContext, SyncFailed

logger = logging.getLogger(__name__)
Status = SyncRun.Status

ProgressCallback = Callable[[SyncRun, Progress], None]


def sync_runs_execute(
    *,
    runs: list[SyncRun],
    on_progress: ProgressCallback | None = None,
    gateway_factory: Callable[[], Any] | None = None,
) -> list[SyncRun]:
    """Execute the runs of a chain in order, here and now; returns them as they ended.

    Runs another process claimed, or that ended meanwhile, are left out.
    """
    runs = lifecycle.sync_runs_claim(runs=runs)
    done: list[SyncRun] = []
    heartbeat = Heartbeat([run.pk for run in runs])
    with sigterm_interrupts():
        try:
            with heartbeat:
                failed: SyncRun | None = None
                for run in runs:
                    if failed is not None:
                        done.append(_skip_after(run, failed))
                        continue
                    run = _execute(run, heartbeat, on_progress, gateway_factory)
                    done.append(run)
                    if run.status == Status.FAILED:
                        failed = run
        except BaseException as exc:
            _end_interrupted(runs, exc, heartbeat)
            raise
    return done


def _skip_after(run: SyncRun, failed: SyncRun) -> SyncRun:
    try:
        return lifecycle.sync_run_skip(
            run=run,
            reason=_("Not run: sync #%(id)s (%(kind)s) failed before it.")
            % {"id": failed.pk, "kind": failed.kind},
        )
    except lifecycle.IllegalTransition as exc:  # the reaper ended it meanwhile
        return exc.run


def _execute(
    run: SyncRun,
    heartbeat: Heartbeat,
    on_progress: ProgressCallback | None,
    gateway_factory: Callable[[], Any] | None,
) -> SyncRun:
    """One run, start to end. Sync failures end the run as failed, never raise."""
    try:
        run = lifecycle.sync_run_start(run=run)
    except lifecycle.IllegalTransition as exc:  # ended meanwhile (the reaper)
        return exc.run
    kind = registry.get(run.kind)
    mode, since, notes = _plan(run)
    recorded: list[SyncRun] = []
    ctx = SyncContext(
        run_id=run.pk,
        kind=run.kind,
        mode=mode,
        dry_run=run.dry_run,
        allow_mass_deactivation=run.allow_mass_deactivation,
        since=since,
        gateway_factory=gateway_factory,
        params=dict(run.params or {}),
        warnings=notes,
    )
    ctx.transaction = lambda: _apply_transaction(run, ctx, recorded)
    ctx.on_progress = _progress_reporter(run, heartbeat, on_progress)
    heartbeat.follow(run.pk, "starting", 0)
    error: str | None = None
    try:
        if run.mode == SyncRun.Mode.PAGES:
            _take_webhook_events(run, ctx)
        kind.run(ctx)
    except (SyncFailed, NotionError) as exc:
        error = str(exc)
        logger.warning("Sync run #%s (%s) failed: %s", run.pk, run.kind, exc)
    except Exception as exc:
        error = _("Internal error: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
        logger.exception("Sync run #%s (%s) crashed", run.pk, run.kind)
    finally:
        ctx.close()
    if error is not None and run.mode == SyncRun.Mode.PAGES:
        from integrations.webhooks.refresh import refresh_failed

        refresh_failed(run=run)
    if recorded and error is None:
        return recorded[0]  # the apply transaction committed the success with the data
    try:
        if error is None:  # a dry run, or a kind that wrote nothing
            return lifecycle.sync_run_succeed(run=run, **_outcome(ctx))
        # A failed run wrote nothing: report what was fetched, not what would have changed.
        return lifecycle.sync_run_fail(
            run=run,
            error=error,
            counts={"fetched": ctx.counts.fetched, "skipped": ctx.counts.skipped},
            warnings=ctx.final_warnings(),
            notion_requests=ctx.notion_requests,
        )
    except lifecycle.IllegalTransition as exc:
        logger.error("Run #%s had already been ended (%s)", run.pk, exc.run.status)
        return exc.run


@contextlib.contextmanager
def _apply_transaction(run: SyncRun, ctx: SyncContext, recorded: list[SyncRun]) -> Iterator[None]:
    """The run's writes and its success, in one transaction: nobody sees one without the
    other, and the reaper cannot fail the run in between (its row is locked)."""
    with transaction.atomic():
        lifecycle.sync_run_lock_for_apply(run=run)
        yield
        if ctx.dry_run:
            transaction.set_rollback(True)
            return
        for hook in ctx.on_applied:
            hook()
        ended = lifecycle.sync_run_succeed(run=run, **_outcome(ctx))
        transaction.on_commit(lambda: recorded.append(ended))


def _outcome(ctx: SyncContext) -> dict[str, Any]:
    return {
        "counts": ctx.counts.as_dict(),
        "warnings": ctx.final_warnings(),
        "notion_requests": ctx.notion_requests,
        "report": ctx.report,
    }


def _take_webhook_events(run: SyncRun, ctx: SyncContext) -> None:
    """A refresh (mode `pages`): the pages its webhook events named become the targets,
    and the events are marked applied in the apply transaction."""
    from integrations.webhooks.refresh import refresh_applied, refresh_plan

    plan = refresh_plan(run=run)
    ctx.targets, ctx.since, ctx.read_changes = plan.targets, plan.since, plan.read_changes
    ctx.on_applied.append(lambda: refresh_applied(run=run))


def _plan(run: SyncRun) -> tuple[str, Any, list[str]]:
    """The mode the run really has, where an incremental run starts, notes for the run."""
    if run.mode != SyncRun.Mode.INCREMENTAL:
        return run.mode, None, []
    last = selectors.sync_run_last_success(kind=run.kind)
    if last is not None:
        since = last.started_at - timedelta(seconds=settings.SYNC_INCREMENTAL_LOOKBACK_SECONDS)
        return run.mode, since, []
    SyncRun.objects.filter(pk=run.pk).update(mode=SyncRun.Mode.FULL)
    run.mode = SyncRun.Mode.FULL
    return (
        SyncRun.Mode.FULL,
        None,
        [_("No earlier successful run: this incremental run fetched everything.")],
    )


def _progress_reporter(
    run: SyncRun, heartbeat: Heartbeat, on_progress: ProgressCallback | None
) -> Callable[[Progress], None]:
    """Progress goes to the heartbeat every time, to listeners (the bot's message edits,
    the CLI's line) at each phase change and at most every SYNC_PROGRESS_SECONDS."""
    last = {"told": 0.0, "phase": ""}

    def progress(p: Progress) -> None:
        heartbeat.follow(run.pk, p.phase, p.fetched)
        now = time.monotonic()
        if p.phase != last["phase"] or now - last["told"] >= settings.SYNC_PROGRESS_SECONDS:
            last["told"], last["phase"] = now, p.phase
            run.phase, run.fetched = p.phase, p.fetched
            signals.sync_run_progress.send(sender=SyncRun, run=run, progress=p)
            if on_progress:
                on_progress(run, p)

    return progress


def _end_interrupted(runs: list[SyncRun], exc: BaseException, heartbeat: Heartbeat) -> None:
    """The chain was interrupted (Ctrl-C, SIGTERM) or crashed in our own code (the database
    refused a write): end what is still active, so no lock waits for the reaper. An open
    apply transaction was rolled back, so the running run wrote nothing."""
    if isinstance(exc, RunInterrupted | KeyboardInterrupt):
        what = exc.signal_name if isinstance(exc, RunInterrupted) else type(exc).__name__
        error = _("Interrupted before the end (%(what)s). Nothing was changed.") % {"what": what}
        reason = _("Not run: the process was stopped (%(what)s) before it.") % {"what": what}
    else:
        what = f"{type(exc).__name__}: {exc}"
        error = _("Internal error: %(error)s") % {"error": what}
        reason = _("Not run: sync #%(id)s failed before it.") % {"id": heartbeat.current}
    logger.warning("Runs %s interrupted (%s)", [r.pk for r in runs], what)
    for run in SyncRun.objects.filter(
        pk__in=[r.pk for r in runs], status__in=(Status.QUEUED, Status.RUNNING)
    ):
        try:
            if run.status == Status.RUNNING:
                counts = {"fetched": heartbeat.fetched} if run.pk == heartbeat.current else {}
                lifecycle.sync_run_fail(run=run, error=error, counts=counts)
            else:
                lifecycle.sync_run_skip(run=run, reason=reason)
        except (lifecycle.IllegalTransition, DatabaseError):
            logger.warning("Run #%s not ended after the interruption", run.pk, exc_info=True)
