"""SIGTERM while runs execute: the process was asked to stop (a worker restarted, `docker
stop`, systemd, `make run` stopping). The executor turns it into `RunInterrupted` in the
main thread, ends its runs (the running one failed, rolled back; the rest skipped) and lets
the process exit, instead of leaving `running` rows for the reaper to find minutes later.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class RunInterrupted(SystemExit):
    """Raised in the main thread by SIGTERM during runs. A SystemExit: the process exits
    with 128 + the signal number once the runs are ended, without a traceback."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signal_name = signal.Signals(signum).name


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While inside, SIGTERM raises `RunInterrupted` (once: a second SIGTERM while the runs
    are being ended is ignored). Only the main thread receives signals; elsewhere this
    does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raised = threading.Event()

    def handler(signum, frame):
        if raised.is_set():
            return
        raised.set()
        raise RunInterrupted(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
