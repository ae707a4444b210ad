"""What every sync kind shares: the run context, the counts, and the failure types."""

from __future__ import annotations

import contextlib
import gc
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections, transaction
from django.utils.translation import gettext as _

MAX_WARNINGS = 200
T = TypeVar("T")


@dataclass
class SyncCounts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def is_mass_change(count: int, total: int, ctx: SyncContext) -> bool:
    """Whether removing `count` of `total` things needs --allow-mass-deactivation: more than
    SYNC_MASS_DEACTIVATION_RATIO of them and more than SYNC_MASS_DEACTIVATION_MIN."""
    return (
        count > settings.SYNC_MASS_DEACTIVATION_MIN
        and count > settings.SYNC_MASS_DEACTIVATION_RATIO * total
        and not ctx.allow_mass_deactivation
    )


def mass_change_percent() -> int:
    return round(settings.SYNC_MASS_DEACTIVATION_RATIO * 100)


class SyncFailed(Exception):
    """A run cannot finish; `str()` is the reason, readable by a non-engineer."""


class MassDeactivationRefused(SyncFailed):
    pass


@dataclass
class Progress:
    kind: str
    phase: str  # "fetching" | "applying"
    fetched: int
    elapsed: float


@dataclass
class SyncContext:
    """Everything a sync kind needs from its run, and nothing of the run's storage."""

    run_id: int
    kind: str
    mode: str  # "full" | "incremental"
    dry_run: bool = False
    allow_mass_deactivation: bool = False
    since: datetime | None = None
    on_progress: Callable[[Progress], None] | None = None
    gateway_factory: Callable[[], Any] | None = None
    #: the transaction a kind's writes go in. The run lifecycle gives one that first makes
    #: sure the run may still write (and locks it), and commits its success together with
    #: the data; without it, a plain transaction (rolled back for a dry run).
    transaction: Callable[[], AbstractContextManager[None]] | None = None
    #: a refresh of named pages (webhook events) instead of the whole data source; `since`
    #: then bounds one query of what changed, used when it is cheaper or `read_changes`
    targets: list[str] | None = None
    read_changes: bool = False
    #: called inside the apply transaction after the kind's writes (the webhook events the
    #: run applied are marked there, with the data)
    on_applied: list[Callable[[], None]] = field(default_factory=list)
    #: what the run was asked for beyond kind and mode (`SyncRun.params`: which list...)
    params: dict[str, Any] = field(default_factory=dict)
    #: what the kind reports beyond the counts, kept on the run (`SyncRun.report`)
    report: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    counts: SyncCounts = field(default_factory=SyncCounts)
    started: float = field(default_factory=time.monotonic)
    _dropped_warnings: int = 0
    _gateway: Any = None
    _clients: list[Any] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.mode == "full"

    def apply_transaction(self) -> AbstractContextManager[None]:
        """`with ctx.apply_transaction(): ...` around every write of the run, once."""
        if self.transaction is not None:
            return self.transaction()
        return _plain_apply(self.dry_run)

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self._dropped_warnings += 1

    def final_warnings(self) -> list[str]:
        if self._dropped_warnings:
            return [
                *self.warnings,
                _("… and %(count)d more warnings") % {"count": self._dropped_warnings},
            ]
        return list(self.warnings)

    def progress(self, phase: str) -> None:
        if self.on_progress:
            self.on_progress(
                Progress(
                    kind=self.kind,
                    phase=phase,
                    fetched=self.counts.fetched,
                    elapsed=time.monotonic() - self.started,
                )
            )

    def gateway(self) -> Any:
        if self._gateway is None:
            if self.gateway_factory is None:
                from integrations.notion.factory import notion_gateway

                self.gateway_factory = notion_gateway
            self._gateway = self.gateway_factory()
        return self._gateway

    def use_client(self, client: T) -> T:
        """A client of another source (Google Sheets) this run talks through: its
        `requests` count as the run's requests, and it is closed with the run."""
        self._clients.append(client)
        return client

    @property
    def notion_requests(self) -> int:
        """Requests this run sent to its source (`SyncRun.notion_requests`)."""
        own = self._gateway.requests if self._gateway is not None else 0
        return own + sum(client.requests for client in self._clients)

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
        for client in self._clients:
            client.close()


@contextlib.contextmanager
def _plain_apply(dry_run: bool) -> Iterator[None]:
    with transaction.atomic():
        yield
        if dry_run:
            transaction.set_rollback(True)


@contextlib.contextmanager
def gc_tuned() -> Iterator[None]:
    """Keep the cyclic garbage collector off the objects that exist before a run.

    A run parses hundreds of thousands of short-lived, acyclic JSON objects (freed by
    reference counting); with default thresholds every few thousand allocations start a
    collection that walks the whole process, Django included. Freezing the pre-run objects
    and collecting young objects less often cut a 10,000-page sync's CPU time by a fifth
    (docs/PERFORMANCE.md). Both are undone when the run ends.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


_DONE = object()


def prefetch(source: Iterable[T], *, maxsize: int = 500) -> Iterator[T]:
    """Iterate `source` in a background thread so network waits overlap our own work.

    Errors in the producer are re-raised in the consumer; if the consumer stops early the
    producer is told to stop at its next item.
    """
    items: queue.Queue = queue.Queue(maxsize=maxsize)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        """Put unless the consumer has gone; never block forever on a full queue."""
        while not stop.is_set():
            try:
                items.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(source)
        try:
            for item in iterator:
                if not hand_over(item):
                    return
            hand_over(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            hand_over(exc)
        finally:
            # Stop the source here and now (the windows it pages stop with it), not whenever
            # the generator is collected.
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            # The source may have used the database (the shared Notion rate limit): close
            # this thread's connections, or SQLite keeps them open until the process ends.
            connections.close_all()

    thread = threading.Thread(target=produce, name="notion-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
