"""The heartbeat: proof that the executor of a chain of runs is alive.

A thread of its own writes `heartbeat_at` of every active run of the chain (the running one
and those queued behind it) every SYNC_HEARTBEAT_SECONDS, whatever the runs are doing:
waiting out a long Retry-After is still alive, and only a dead executor goes quiet. A row
locked by its run's apply transaction is skipped (`SKIP LOCKED`): the lock is the proof of
life then, and the reaper skips locked rows too. On SQLite (no row locks) a beat waits
for the write lock like any writer.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from integrations.models import ACTIVE_STATUSES, SyncRun

logger = logging.getLogger(__name__)


def sync_runs_heartbeat(
    *, run_ids: list[int], current: int | None = None, phase: str = "", fetched: int = 0
) -> int:
    """One beat: touch the chain's active runs that are not locked; the running one also
    gets its phase and progress. Returns how many rows were touched."""
    now = timezone.now()
    with transaction.atomic():
        free = list(
            SyncRun.objects.select_for_update(skip_locked=True)
            .filter(pk__in=run_ids, status__in=ACTIVE_STATUSES)
            .values_list("pk", flat=True)
        )
        SyncRun.objects.filter(pk__in=free).update(heartbeat_at=now)
        if current in free and phase:
            SyncRun.objects.filter(pk=current, status=SyncRun.Status.RUNNING).update(
                phase=phase, fetched=fetched
            )
    return len(free)


class Heartbeat:
    """`Heartbeat(run_ids)`: start(), follow the running run's progress, stop()."""

    def __init__(self, run_ids: list[int]) -> None:
        self.run_ids = list(run_ids)
        self.current: int | None = None
        self.phase = ""
        self.fetched = 0
        self._stop = threading.Event()
        name = f"heartbeat-{self.run_ids[0] if self.run_ids else 'none'}"
        self._thread = threading.Thread(target=self._beat, name=name, daemon=True)

    def follow(self, run_id: int, phase: str, fetched: int) -> None:
        self.current, self.phase, self.fetched = run_id, phase, fetched

    def start(self) -> Heartbeat:
        if self.run_ids:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.SYNC_HEARTBEAT_SECONDS):
                try:
                    sync_runs_heartbeat(
                        run_ids=self.run_ids,
                        current=self.current,
                        phase=self.phase,
                        fetched=self.fetched,
                    )
                except DatabaseError:
                    logger.warning("Heartbeat of runs %s not written", self.run_ids, exc_info=True)
                    # Reconnect on the next beat: Django only checks connections' health
                    # at request boundaries, which this thread never reaches.
                    connections.close_all()
        finally:
            connections.close_all()

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
