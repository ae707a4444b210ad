"""The bot's fire-and-forget writes (the record of each refused attempt), on one thread of
their own behind a bounded queue.

Were they written on the handlers' threads (botapp/dbcalls.py), a few outsiders' writes
waiting on a lock (SQLite's single writer during a sync's apply) would take every thread,
and a member's /status, a read, would wait behind them. Here they wait on this one thread
only. When the queue is full (the lock held for long, a crowd of strangers) new records are
dropped and counted: the record is a log for the admin, never a decision (whom to answer is
decided in memory, botapp/refusals.py).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

MAX_QUEUED = 1000
SHUTDOWN_WAIT = 10.0


class BackgroundWriter:
    def __init__(self, *, max_queued: int = MAX_QUEUED) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stopping = threading.Event()
        self.dropped = 0  # records lost to a full queue

    def submit(self, fn: Callable, /, *args, **kwargs) -> bool:
        """Queue `fn(*args, **kwargs)`; False (and counted) when the queue is full."""
        if self._stopping.is_set():
            return self._drop(fn)
        self._start()
        try:
            self._queue.put_nowait((fn, args, kwargs))
        except queue.Full:
            return self._drop(fn)
        return True

    def _drop(self, fn: Callable) -> bool:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            logger.warning(
                "Database writes of the bot are behind: %s dropped (%d so far)",
                getattr(fn, "__name__", fn),
                self.dropped,
            )
        return False

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bot-db-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    fn, args, kwargs = self._queue.get(timeout=0.2)
                except queue.Empty:
                    if self._stopping.is_set():
                        return
                    continue
                try:
                    close_old_connections()
                    fn(*args, **kwargs)
                except Exception:
                    logger.exception("Background write %s failed", getattr(fn, "__name__", fn))
                finally:
                    close_old_connections()
                    self._queue.task_done()
        finally:
            connection.close()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every queued write is done; False if that took longer than `timeout`."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True

    def shutdown(self, timeout: float = SHUTDOWN_WAIT) -> None:
        """Write what is queued (for at most `timeout` seconds), then stop the thread."""
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning(
                    "Stopping with %d database writes of the bot not done", self._queue.qsize()
                )
