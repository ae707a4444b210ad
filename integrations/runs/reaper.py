"""The reaper: fails the runs that can no longer end by themselves, and only those, so that
their kinds' locks are released. Called every minute by a schedule (`reap_stale_runs`) and
by `manage.py sync` before it asks for a run (it may run where no worker does).

A run can no longer end by itself when
- nobody claimed it within SYNC_QUEUED_TIMEOUT_SECONDS (no worker is running), or
- it was claimed and its executor's heartbeat stopped for SYNC_STALE_AFTER_SECONDS (the
  process died, at any line: the runs queued behind it in its chain die with it).
A run whose row is locked is alive whatever its heartbeat says: its apply transaction holds
the lock and will record the outcome. PostgreSQL skips such rows (`SKIP LOCKED`); SQLite
has one write lock for the whole database, so there the reaper skips its round while any
other connection writes, instead of waiting for the lock and deciding on what it read
before.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.models import SyncRun
from integrations.runs import lifecycle
from integrations.text import format_duration

logger = logging.getLogger(__name__)
Status = SyncRun.Status


class _DatabaseBusy(Exception):
    pass


def sync_runs_reap_stale(*, now=None) -> list[SyncRun]:
    """Fail (or skip, for runs that never started) the runs whose executor is gone."""
    try:
        with _write_transaction_or_skip():
            return _reap(now or timezone.now())
    except _DatabaseBusy:
        logger.info("Reaper: another connection is writing (a run's apply?); next round")
        return []


def _reap(now) -> list[SyncRun]:
    unclaimed = Q(
        status=Status.QUEUED,
        claimed_at=None,
        queued_at__lt=now - timedelta(seconds=settings.SYNC_QUEUED_TIMEOUT_SECONDS),
    )
    silent = Q(
        status__in=(Status.QUEUED, Status.RUNNING),
        heartbeat_at__lt=now - timedelta(seconds=settings.SYNC_STALE_AFTER_SECONDS),
    ) & (Q(status=Status.RUNNING) | Q(claimed_at__isnull=False))
    reaped = []
    for run in SyncRun.objects.select_for_update(skip_locked=True).filter(unclaimed | silent):
        try:
            if run.status == Status.RUNNING:
                reaped.append(lifecycle.sync_run_fail(run=run, error=_died_while_running(run)))
            elif run.claimed_at is not None:
                reaped.append(lifecycle.sync_run_skip(run=run, reason=_died_before_start(run)))
            else:
                reaped.append(lifecycle.sync_run_fail(run=run, error=_never_claimed()))
        except lifecycle.IllegalTransition:  # it ended by itself meanwhile
            continue
    for run in reaped:
        logger.warning("Reaped run #%s (%s): %s", run.pk, run.kind, run.error)
    return reaped


def _never_claimed() -> str:
    return _(
        "No worker picked the run up in %(time)s: is the qcluster process running? "
        "Nothing was changed."
    ) % {"time": format_duration(settings.SYNC_QUEUED_TIMEOUT_SECONDS)}


def _died_while_running(run: SyncRun) -> str:
    return _(
        "The worker stopped answering during the run (no heartbeat since %(time)s): it was "
        "probably restarted. Nothing was changed; start the sync again."
    ) % {"time": timezone.localtime(run.heartbeat_at).strftime("%H:%M:%S")}


def _died_before_start(run: SyncRun) -> str:
    return _(
        "Not run: the process that took it stopped answering before it started (no "
        "heartbeat since %(time)s)."
    ) % {"time": timezone.localtime(run.heartbeat_at).strftime("%H:%M:%S")}


@contextlib.contextmanager
def _write_transaction_or_skip() -> Iterator[None]:
    """A transaction that holds the write lock from its first statement on SQLite, taken
    without waiting (`_DatabaseBusy` when another connection writes); a plain transaction
    elsewhere (rows locked by others are skipped by the query itself)."""
    if connection.vendor != "sqlite":
        with transaction.atomic():
            yield
        return
    options = connection.settings_dict.get("OPTIONS", {})
    busy_timeout_ms = int(float(options.get("timeout", 5)) * 1000)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 0")
    began = False
    try:
        with transaction.atomic():  # BEGIN IMMEDIATE (settings): fails at once when busy
            began = True
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            yield
    except OperationalError as exc:
        if began or ("locked" not in str(exc) and "busy" not in str(exc)):
            raise
        raise _DatabaseBusy from exc
    finally:
        if not began:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
