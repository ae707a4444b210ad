"""The supervisor behind `make demo` and `make run` leaves nothing running."""

import os
import signal
import sys
import threading
import time

import pytest

from scripts.procs import ProcessGroup

STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)"
)


def test_second_interrupt_while_stopping_still_kills_everything(tmp_path):
    group = ProcessGroup(log_dir=tmp_path)
    child = group.start("stubborn", [sys.executable, "-c", STUBBORN])
    time.sleep(0.5)  # let it install its SIGTERM handler
    # A second Ctrl-C, one second into the grace period.
    timer = threading.Timer(1.0, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()

    with pytest.raises(KeyboardInterrupt):
        group.stop(grace=10)

    assert not child.alive()
