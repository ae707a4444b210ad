"""The run state machine: the allowed transitions, and one service per transition.

Each transition is one `UPDATE … WHERE id = … AND status IN (<the states it may come
from>)`: the database, not a Python check, decides whether it happens, so two processes
racing (an executor ending a run, the reaper failing it) cannot both win. The loser gets
`IllegalTransition`. Final transitions release the kind's lock and announce the end
(`signals.sync_run_finished`) once their transaction commits.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations import selectors, signals
from integrations.models import SyncRun
from integrations.sync import registry
from integrations.sync.base import SyncFailed

Status = SyncRun.Status

#: target state -> the states a run may reach it from
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    Status.RUNNING: (Status.QUEUED,),
    Status.SUCCEEDED: (Status.RUNNING,),
    Status.FAILED: (Status.QUEUED, Status.RUNNING),
    Status.SKIPPED: (Status.QUEUED,),
}
FINAL = (Status.SUCCEEDED, Status.FAILED, Status.SKIPPED)


class SyncAlreadyActive(Exception):
    """The kind's lock is taken: `run` is its queued or running run."""

    def __init__(self, run: SyncRun) -> None:
        super().__init__(
            _("Sync %(kind)s is already running: #%(id)s.") % {"kind": run.kind, "id": run.pk}
        )
        self.run = run


class IllegalTransition(Exception):
    """The run is not in a state it may move from (someone else moved it first)."""

    def __init__(self, run: SyncRun, target: str) -> None:
        super().__init__(f"run #{run.pk} is {run.status}; it cannot become {target}")
        self.run = run
        self.target = target


class RunEndedElsewhere(SyncFailed):
    """The run was ended from outside (the reaper) before it wrote anything."""


_nonces: dict[int, str] = {}


def executor_id() -> str:
    """This process, as the runs it claims record it: host:pid:nonce (the nonce tells apart
    two processes that share a host name and a pid, in two containers say)."""
    pid = os.getpid()
    nonce = _nonces.setdefault(pid, uuid.uuid4().hex[:8])
    return f"{socket.gethostname()[:80]}:{pid}:{nonce}"


# --- creating runs (taking the kinds' locks) ---------------------------------------------


def sync_runs_create(
    *,
    kind: str,
    trigger: str,
    mode: str = SyncRun.Mode.FULL,
    dry_run: bool = False,
    allow_mass_deactivation: bool = False,
    triggered_by=None,
    chat_id: int | None = None,
    claim: bool = False,
    params: dict[str, Any] | None = None,
) -> list[SyncRun]:
    """Queue a run for `kind` (one per kind, in registry order, for `all`): all or none.

    Raises `SyncAlreadyActive` naming the active run when a kind is busy, and
    `registry.UnknownSyncKind` for a kind nobody registered. With `claim`, the runs are
    claimed by this process at once (it executes them itself: the CLI, a schedule's task).
    """
    return sync_chain_create(
        steps=[(name, mode) for name in registry.expand(kind)],
        trigger=trigger,
        dry_run=dry_run,
        allow_mass_deactivation=allow_mass_deactivation,
        triggered_by=triggered_by,
        chat_id=chat_id,
        claim=claim,
        params=params,
    )


def sync_chain_create(
    *,
    steps: Iterable[tuple[str, str]],
    trigger: str,
    dry_run: bool = False,
    allow_mass_deactivation: bool = False,
    triggered_by=None,
    chat_id: int | None = None,
    claim: bool = False,
    params: dict[str, Any] | None = None,
) -> list[SyncRun]:
    """Queue one run per (kind, mode) step, executed in that order: all or none. `params`
    (what the door asked for beyond the kind: which list to load) go to every run."""
    steps = list(steps)
    for attempt in range(3):
        now = timezone.now()
        claimed: dict[str, Any] = (
            {"claimed_at": now, "claimed_by": executor_id(), "heartbeat_at": now} if claim else {}
        )
        try:
            with transaction.atomic():
                return [
                    SyncRun.objects.create(
                        kind=name,
                        mode=mode,
                        trigger=trigger,
                        dry_run=dry_run,
                        allow_mass_deactivation=allow_mass_deactivation,
                        triggered_by=triggered_by,
                        chat_id=chat_id,
                        params=params or {},
                        status=Status.QUEUED,
                        **claimed,
                    )
                    for name, mode in steps
                ]
        except IntegrityError:
            for name, _mode in steps:
                active = selectors.sync_run_active(kind=name)
                if active is not None:
                    raise SyncAlreadyActive(active) from None
            if attempt == 2:
                raise
            # The run that held the lock ended between our insert and our look: again.
    raise AssertionError("unreachable")


def sync_run_record_skipped(*, kind: str, trigger: str, mode: str, reason: str) -> SyncRun:
    """A run that did not happen (its kind was busy), kept in the history. It never held
    the lock: it is created ended."""
    now = timezone.now()
    return SyncRun.objects.create(
        kind=kind,
        trigger=trigger,
        mode=mode,
        status=Status.SKIPPED,
        started_at=now,
        finished_at=now,
        error=reason,
    )


# --- transitions -------------------------------------------------------------------------


def sync_runs_claim(*, runs: list[SyncRun]) -> list[SyncRun]:
    """Take queued runs to execute them in this process, in the given order.

    Runs claimed by another process or no longer queued are left out: a task delivered
    twice is executed once. From the claim on, the heartbeat keeps them alive.
    """
    me, now = executor_id(), timezone.now()
    if all(run.status == Status.QUEUED and run.claimed_by == me for run in runs):
        return list(runs)  # created claimed by this process (the CLI, a schedule's tick)
    ids = [run.pk for run in runs]
    SyncRun.objects.filter(pk__in=ids, status=Status.QUEUED).filter(
        Q(claimed_at=None) | Q(claimed_by=me)
    ).update(claimed_at=now, claimed_by=me, heartbeat_at=now)
    mine = {
        run.pk: run
        for run in SyncRun.objects.select_related("triggered_by").filter(
            pk__in=ids, status=Status.QUEUED, claimed_by=me
        )
    }
    return [mine[pk] for pk in ids if pk in mine]


def sync_run_start(*, run: SyncRun) -> SyncRun:
    """queued -> running, in this process (claimed by it, or claimed now)."""
    me, now = executor_id(), timezone.now()
    moved = (
        SyncRun.objects.filter(pk=run.pk, status__in=ALLOWED_FROM[Status.RUNNING])
        .filter(Q(claimed_at=None) | Q(claimed_by=me))
        .update(
            status=Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            phase="starting",
            claimed_by=me,
            claimed_at=run.claimed_at or now,
        )
    )
    run.refresh_from_db()
    if not moved:
        raise IllegalTransition(run, Status.RUNNING)
    return run


def sync_run_lock_for_apply(*, run: SyncRun) -> None:
    """First statement of a run's apply transaction: the run must still be running, and
    its row stays locked until the commit (which records the outcome), so nobody can end
    it in between. Raises `RunEndedElsewhere` when it was ended meanwhile."""
    if not connection.in_atomic_block:
        raise RuntimeError("sync_run_lock_for_apply() belongs inside the apply transaction")
    moved = SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
        heartbeat_at=timezone.now(), phase="applying"
    )
    if not moved:
        raise RunEndedElsewhere(
            _("The run was ended from outside (stale-run reaper) before writing; nothing written.")
        )


def sync_run_succeed(
    *,
    run: SyncRun,
    counts: dict[str, int],
    warnings: list[str],
    notion_requests: int,
    report: dict[str, Any] | None = None,
) -> SyncRun:
    """running -> succeeded. Called inside the apply transaction, the outcome commits with
    the data it describes."""
    return _finish(
        run,
        Status.SUCCEEDED,
        error="",
        warnings=warnings,
        notion_requests=notion_requests,
        report=report or {},
        **counts,
    )


def sync_run_fail(
    *,
    run: SyncRun,
    error: str,
    counts: dict[str, int] | None = None,
    warnings: list[str] | None = None,
    notion_requests: int | None = None,
) -> SyncRun:
    """queued / running -> failed. A failed run wrote nothing."""
    values: dict[str, Any] = dict(counts or {})
    if warnings is not None:
        values["warnings"] = warnings
    if notion_requests is not None:
        values["notion_requests"] = notion_requests
    return _finish(run, Status.FAILED, error=error, **values)


def sync_run_skip(*, run: SyncRun, reason: str) -> SyncRun:
    """queued -> skipped: the run will not happen (a run before it in its chain failed)."""
    return _finish(run, Status.SKIPPED, error=reason)


def _finish(run: SyncRun, status: str, **values: Any) -> SyncRun:
    moved = SyncRun.objects.filter(pk=run.pk, status__in=ALLOWED_FROM[status]).update(
        status=status, finished_at=timezone.now(), phase="", **values
    )
    run.refresh_from_db()
    if not moved:
        raise IllegalTransition(run, status)
    transaction.on_commit(
        lambda: signals.sync_run_finished.send(sender=SyncRun, run=run), robust=True
    )
    return run
