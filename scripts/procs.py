"""Start a few long-running commands and stop every one of them, whatever happens.

Used by `make demo` (scripts/demo.py) and `make run` (scripts/run.py). Each command runs in
its own session, hence its own process group, so stopping it also stops what it forked
(qcluster's workers, gunicorn's workers): SIGTERM to the group, then SIGKILL after a grace
period. On Linux each child also gets PR_SET_PDEATHSIG, so it is told to stop even if this
process is killed with SIGKILL and cannot clean up.

Plain standard library: no honcho or supervisord needed (see README, "Decisions").
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_COLOURS = ("36", "33", "35", "32", "34", "31")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Ask Linux to SIGTERM this child when the parent dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path | None = None
    threads: list[threading.Thread] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None


class ProcessGroup:
    """The commands one supervisor started, stopped together.

    Output goes either to a log file per command (`log_dir`) or to our stdout with a
    coloured `name |` prefix (like foreman/honcho).
    """

    def __init__(self, *, log_dir: Path | None = None, out: IO[str] | None = None) -> None:
        self.children: list[Child] = []
        self.log_dir = log_dir
        self.out = out or sys.stdout
        self._out_lock = threading.Lock()
        self._stopped = False

    # -- starting ------------------------------------------------------------------------
    def start(
        self,
        name: str,
        argv: Sequence[str] | str,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        shell: bool = False,
    ) -> Child:
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        common = {
            "env": dict(env) if env is not None else None,
            "cwd": cwd,
            "stdin": subprocess.DEVNULL,
            "start_new_session": True,  # own process group: killpg reaches its forks too
            "preexec_fn": preexec,
            "shell": shell,
        }
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            log_path = self.log_dir / f"{name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, **common)
            child = Child(name, process, log_path)
        else:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                **common,
            )
            child = Child(name, process)
            colour = _COLOURS[len(self.children) % len(_COLOURS)]
            reader = threading.Thread(
                target=self._pump, args=(child, colour), name=f"out:{name}", daemon=True
            )
            reader.start()
            child.threads.append(reader)
        self.children.append(child)
        return child

    def _pump(self, child: Child, colour: str) -> None:
        width = max(8, *(len(c.name) for c in self.children)) if self.children else 8
        tty = hasattr(self.out, "isatty") and self.out.isatty()
        prefix = f"{child.name:<{width}} | "
        if tty:
            prefix = f"\033[{colour}m{prefix}\033[0m"
        assert child.process.stdout is not None
        for line in child.process.stdout:
            with self._out_lock:
                self.out.write(prefix + line if line.endswith("\n") else prefix + line + "\n")
                self.out.flush()

    # -- watching ------------------------------------------------------------------------
    def first_exit(self, poll: float = 0.2) -> Child:
        """Block until one child exits; return it."""
        while True:
            for child in self.children:
                if not child.alive():
                    return child
            time.sleep(poll)

    def failed_early(self) -> Child | None:
        return next((c for c in self.children if not c.alive()), None)

    # -- stopping ------------------------------------------------------------------------
    def stop(self, *, grace: float = 10.0, on_stop: Callable[[Child], None] | None = None) -> None:
        """SIGTERM every group (newest first), wait up to `grace` s, then SIGKILL the rest."""
        if self._stopped:
            return
        self._stopped = True
        try:
            for child in reversed(self.children):
                if on_stop:
                    on_stop(child)
                _signal_group(child, signal.SIGTERM)
            deadline = time.monotonic() + grace
            for child in self.children:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            # The leader may be a shell that exits at once while what it started (a worker
            # ending its runs) still works: wait for the whole group, within the grace.
            while time.monotonic() < deadline and any(_group_alive(c) for c in self.children):
                time.sleep(0.1)
        finally:
            # Even when a second Ctrl-C (or SIGTERM) cuts the grace period short: kill the
            # whole group, even if its leader exited (a forked worker may linger).
            for child in self.children:
                _signal_group(child, signal.SIGKILL)
            for child in self.children:
                with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
                    child.process.wait(timeout=5)
            for child in self.children:
                for thread in child.threads:
                    thread.join(timeout=2)


def _group_alive(child: Child) -> bool:
    try:
        os.killpg(child.pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal_group(child: Child, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)  # the child leads its own group (start_new_session)


@contextlib.contextmanager
def signals_raise_keyboard_interrupt():
    """SIGTERM and SIGHUP end us like Ctrl-C does, so `finally:` blocks stop the children."""

    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def port_is_free(host: str, port: int) -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def parse_procfile(path: Path) -> list[tuple[str, str]]:
    """`name: command` lines, in order; comments and blank lines skipped."""
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"{path}:{number}: expected 'name: command', got {raw!r}")
        entries.append((name.strip(), command.strip()))
    return entries
