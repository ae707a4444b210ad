"""Paging a data source in disjoint `created_time` windows at once, so a big sync is bound by
the rate limit (NOTION_MAX_RPS), not by Notion's latency.

A plan's boundaries b1 < … < bk (whole minutes) cut the whole timeline into the windows
(-inf, b1), [b1, b2), …, [bk, +inf): `created_time on_or_after` the start and `before` the end.
Notion's timestamps are minute-granular, so a boundary minute belongs to exactly one window,
and the open ends take every page whatever its age (pages moved into a database keep their
`created_time`; pages created during the run land in the last window).

Each window is paged by a thread of its own through the gateway (whose every request waits
for the integration-wide rate limit). A window whose rest looks large after an answer (the
density of that answer, over the rest of its range) splits the rest evenly by time (the
first sync of an empty mirror starts as one window and splits so), taking at most half the
free window slots so that its parts can split again where the pages turn out denser: at
most `max_windows` windows in all, so a run costs at most one partial answer more per
window. A query sorted by
`last_edited_time` (an incremental run) that looks large after its first answer cuts the
rest, edited on or after the last timestamp seen, at `created_time` boundaries the caller
gives (`split_at`: the mirror's quantiles). A window that reaches the 10,000-result cap
continues as a single query does (`NotionGateway._window_batches`). At most `max_windows`
answers are fetched or waiting at any time, so memory stays flat however fast Notion is.

The windows feed one stream of answers; the consumer (the sync's fetch thread) reads it as
it would one query's. A failing window stops the others and fails the stream with its
error; a consumer that stops early (an error of its own, Ctrl-C, SIGTERM) stops them too.
"""

from __future__ import annotations

import itertools
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)

_DONE = object()
_MINUTE = timedelta(minutes=1)


class WindowStopped(Exception):
    """Raised in a window's thread when the stream stopped while it waited (a retry's
    backoff, a Retry-After): it sends nothing more. Never reaches the consumer: the stream
    stopped for an error of its own, or because the consumer went."""


@dataclass(frozen=True)
class WindowPlan:
    #: whole minutes, strictly increasing: the starts of the windows after the first
    boundaries: tuple[datetime, ...] = ()
    #: windows in all (the initial ones and those split off)
    max_windows: int = 1
    #: a window whose rest is estimated above 1.5 x this many pages after its first answer
    #: splits into parts of about this many (0: never)
    split_records: int = 0
    #: where the last, open window is expected to end when estimating its size: the newest
    #: page the mirror knows (None: now)
    horizon: datetime | None = None
    #: for a query sorted by `last_edited_time` (an incremental run): the `created_time`
    #: boundaries of even windows (the mirror's quantiles), asked for only when a window
    #: splits
    split_at: Callable[[], tuple[datetime, ...]] | None = None

    @property
    def concurrent(self) -> bool:
        return self.max_windows > 1 and (bool(self.boundaries) or self.split_records > 0)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def minute_boundaries(values: list[datetime]) -> tuple[datetime, ...]:
    """Whole-minute, strictly increasing boundaries from candidate moments."""
    return tuple(sorted({floor_minute(v) for v in values}))


class Windows:
    """One stream of query answers from concurrently paged windows (see the module)."""

    def __init__(
        self,
        *,
        page_window: Callable[..., Iterator[list[dict]]],
        plan: WindowPlan,
    ) -> None:
        self._page_window = page_window
        self.plan = plan
        # Answers fetched or waiting, all windows together (see `_take_slot`).
        self._slots = threading.Semaphore(max(plan.max_windows, 1))
        self._results: queue.Queue = queue.Queue(maxsize=plan.max_windows + 1)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending = 0
        self._created = 0
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._horizon = plan.horizon or floor_minute(datetime.now(UTC)) + 2 * _MINUTE

    # -- the consumer ---------------------------------------------------------------------
    def __iter__(self) -> Iterator[list[dict]]:
        edges: list[datetime | None] = [None, *self.plan.boundaries, None]
        with self._lock:
            self._created = len(edges) - 1
        try:
            for lo, hi in itertools.pairwise(edges):
                self._start(lo, hi, frozenset())
            while True:
                with self._lock:
                    if self._error is not None:
                        raise self._error
                    if not self._pending:
                        return
                try:
                    item = self._results.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item is _DONE:
                    with self._lock:
                        self._pending -= 1
                    continue
                self._slots.release()
                yield item
        finally:
            self._stop.set()
            deadline = time.monotonic() + 5
            for thread in list(self._threads):
                thread.join(timeout=max(deadline - time.monotonic(), 0.01))

    # -- the windows ----------------------------------------------------------------------
    def _start(
        self,
        lo: datetime | None,
        hi: datetime | None,
        boundary: frozenset[str],
        after: datetime | None = None,
    ) -> None:
        with self._lock:
            self._pending += 1
        thread = threading.Thread(
            target=self._work,
            args=(lo, hi, boundary, after),
            name=f"notion-window-{len(self._threads) + 1}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def _work(
        self,
        lo: datetime | None,
        hi: datetime | None,
        boundary: frozenset[str],
        after: datetime | None,
    ) -> None:
        try:
            answers = self._page_window(
                lo=lo, hi=hi, after=after, boundary=boundary, stop=self._stop, split=self._split
            )
            while self._take_slot():
                try:
                    pages = next(answers)
                except StopIteration:
                    self._slots.release()
                    break
                if not self._put(pages):
                    return
                del pages  # the consumer's now
            self._put(_DONE)
        except WindowStopped:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            with self._lock:
                if self._error is None:
                    self._error = exc
            self._stop.set()
        finally:
            # The rate limit lives in the database: close this thread's connections.
            connections.close_all()

    def _take_slot(self) -> bool:
        """Wait until fewer than `max_windows` answers are being fetched or wait in the
        queue: memory stays flat however fast Notion answers."""
        while not self._stop.is_set():
            if self._slots.acquire(timeout=0.2):
                return True
        return False

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._results.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _split(
        self,
        *,
        lo: datetime | None,
        hi: datetime | None,
        first: datetime,
        last: datetime,
        last_ids: frozenset[str],
        count: int,
        first_answer: bool = True,
    ) -> bool:
        """After an answer of a window (`count` pages from `first` to `last` in the query's
        order, more to come): split the rest into new windows when it looks large and slots
        are left. True when the window was replaced (its caller stops paging it).

        A window by `created_time` may split after any answer: where pages are sparse
        (years of a few old pages) the first answer promises little, and the dense part
        further on must still be shared out when the window reaches it. A query by
        `last_edited_time` decides after its first answer only (its cuts come from the
        database)."""
        if not self.plan.split_records:
            return False
        if self.plan.split_at is not None:
            if not first_answer:
                return False
            return self._split_edits(
                lo=lo, hi=hi, first=first, last=last, last_ids=last_ids, count=count
            )
        return self._split_created(hi=hi, first=first, last=last, last_ids=last_ids, count=count)

    @staticmethod
    def _estimate_rest(count: int, first: datetime, last: datetime, end: datetime) -> float:
        """Pages left from `last` to `end`, at the density of the answer that held `count`
        pages from `first` to `last` (a minute at least: timestamps are minute-granular)."""
        span = max((last - first).total_seconds(), 60.0)
        return count * (end - last).total_seconds() / span

    def _parts(self, estimate: float) -> int:
        """How many windows the rest of a window should become (1: it stays as it is). The
        slots are taken by `_reserve` once the cuts are known."""
        plan = self.plan
        if estimate <= 1.5 * plan.split_records:  # not for the noise of an even window
            return 1
        with self._lock:
            if self._stop.is_set():
                return 1
            free = plan.max_windows - self._created
            # Half the free slots at most (all of the last one): the parts may find their
            # pages unevenly spread and need to split again after their own answers.
            allowed = free // 2 + 1 if free > 1 else free + 1
            return max(min(math.ceil(estimate / plan.split_records), allowed), 1)

    def _split_edits(
        self,
        *,
        lo: datetime | None,
        hi: datetime | None,
        first: datetime,
        last: datetime,
        last_ids: frozenset[str],
        count: int,
    ) -> bool:
        """A query by `last_edited_time` (since the last run): the rest, edited on or after
        `last`, is cut by `created_time` at the mirror's quantiles."""
        estimate = self._estimate_rest(count, first, last, datetime.now(UTC))
        parts = self._parts(estimate)
        if parts < 2:
            return False
        candidates = [
            c for c in self.plan.split_at() if (lo is None or c > lo) and (hi is None or c < hi)
        ]
        cuts = (
            minute_boundaries([candidates[len(candidates) * i // parts] for i in range(1, parts)])
            if candidates
            else ()
        )
        if not self._reserve(cuts):
            return False
        logger.debug("edits since %s split at %s (about %d pages)", last, cuts, estimate)
        edges: list[datetime | None] = [lo, *cuts, hi]
        for start, end in itertools.pairwise(edges):
            self._start(start, end, last_ids, after=last)
        return True

    def _split_created(
        self,
        *,
        hi: datetime | None,
        first: datetime,
        last: datetime,
        last_ids: frozenset[str],
        count: int,
    ) -> bool:
        """A query by `created_time`: the rest of the window, [last, hi), is cut evenly by
        time."""
        end = hi or max(self._horizon, last + _MINUTE)
        estimate = self._estimate_rest(count, first, last, end)
        parts = self._parts(estimate)
        if parts < 2:
            return False
        step = (end - last) / parts
        cuts = [
            c
            for c in minute_boundaries([last + step * i for i in range(1, parts)])
            if last < c < end
        ]
        if not self._reserve(cuts):
            return False
        logger.debug("window [%s, %s) splits at %s (about %d pages)", last, hi, cuts, estimate)
        edges: list[datetime | None] = [last, *cuts, hi]
        for i, (lo, top) in enumerate(itertools.pairwise(edges)):
            self._start(lo, top, last_ids if i == 0 else frozenset())
        return True

    def _reserve(self, cuts) -> bool:
        """Take a window slot for each cut, or none when they are not all free (another
        window split meanwhile)."""
        with self._lock:
            if not cuts or self._created + len(cuts) > self.plan.max_windows:
                return False
            self._created += len(cuts)
            return True
