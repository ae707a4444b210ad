"""Real `manage.py` processes (runbot, qcluster, sync) for end-to-end tests and benchmarks.

Each process runs in its own session so the whole tree (qcluster forks workers) can be
killed at once; `ServiceProcess.kill()` is what a power cut looks like to the worker.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
# One key for the test process and every process it starts: the bot and the test sign the
# tasks the worker runs (tests/environment.py sets it before Django loads).
SERVICE_SECRET_KEY = os.environ.get("SECRET_KEY") or "e2e-" + secrets.token_urlsafe(48)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_subprocesses() -> str:
    """A DATABASE_URL pointing at the database this process is connected to (the test DB)."""
    conf = connection.settings_dict
    if conf["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(conf['NAME']).resolve()}"
    user = conf.get("USER") or ""
    password = conf.get("PASSWORD") or ""
    auth = user + (f":{password}" if password else "")
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{conf['NAME']}"


def service_env(
    *,
    database_url: str,
    telegram,
    notion=None,
    org=None,
    inactive_statuses: list[str] | tuple[str, ...] = (),
    **overrides: object,
) -> dict[str, str]:
    """Environment for the project's processes, wired to the emulators (no bot without
    `telegram`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": SERVICE_SECRET_KEY,
            "DEBUG": "false",
            "TELEGRAM_PROGRESS_INTERVAL": "0.5",
            "SYNC_PROGRESS_SECONDS": "0.2",
            "SYNC_HEARTBEAT_SECONDS": "0.5",
            "Q_WORKERS": "2",
            "Q_POLL": "0.05",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if telegram is not None:
        env["TELEGRAM_BOT_TOKEN"] = telegram.token
        env["TELEGRAM_API_BASE_URL"] = telegram.base_url
    else:
        env.pop("TELEGRAM_BOT_TOKEN", None)
    if notion is not None:
        env.update(
            {
                "NOTION_TOKEN": notion.token,
                "NOTION_API_BASE_URL": notion.base_url,
                "NOTION_MAX_RPS": "0",
                "NOTION_TIMEOUT": "5",
                "NOTION_MAX_RETRIES": "2",
                "NOTION_RETRY_BASE_DELAY": "0.05",
                "NOTION_RETRY_MAX_DELAY": "0.2",
                "NOTION_INACTIVE_STATUSES": ",".join(inactive_statuses),
            }
        )
    if org is not None:
        env["NOTION_HUMANS_DATABASE_ID"] = org.humans_database_id
        env["NOTION_DIRECTIONS_DATABASE_ID"] = org.directions_database_id
    env.update({key: str(value) for key, value in overrides.items()})
    return env


class ServiceProcess:
    """`python manage.py <args>` (or another `command`) in its own session, output to a log
    file."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        log_dir: Path,
        *,
        command: list[str] | None = None,
    ) -> None:
        self.name = name
        self.args = args
        self.command = command or [sys.executable, str(BASE_DIR / "manage.py"), *args]
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> ServiceProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            self.command,
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, like a crash or a power cut."""
        self._signal_group(signal.SIGKILL)
        self._reap(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL whatever is left; always leaves nothing running."""
        if self.process is None or self._log.closed:
            return
        self._signal_group(signal.SIGTERM)
        if not self._reap(timeout=timeout):
            self._signal_group(signal.SIGKILL)
            self._reap(timeout=10)
        else:
            # qcluster's children may outlive the parent for a moment.
            self._signal_group(signal.SIGKILL)
        self._log.close()

    def _signal_group(self, sig: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _reap(self, timeout: float) -> bool:
        try:
            self.process.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, text: str, timeout: float = 30.0, *, count: int = 1) -> None:
        """Wait until `text` is in the log (in `count` lines)."""
        deadline = time.monotonic() + timeout
        while sum(text in line for line in self.log().splitlines()) < count:
            if not self.alive:
                raise AssertionError(f"{self.name} exited:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: no {text!r} in {timeout:g}s\n{self.log()[-3000:]}"
                )
            time.sleep(0.05)


def run_manage(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
