"""`make run` (scripts/run.py): one line when unconfigured; the Procfile's processes start
against the emulators and stop together."""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from sandbox.notion_emulator import NotionEmulator
from sandbox.telegram_emulator import TelegramEmulator

from .test_demo import assert_nothing_left, free_port, processes_of

ROOT = Path(__file__).resolve().parents[2]
RUN = [sys.executable, str(ROOT / "scripts" / "run.py")]


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTION_", "TELEGRAM_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    return env


def test_without_tokens_it_stops_with_one_line_naming_them(tmp_path):
    env = clean_env(tmp_path) | {
        "TELEGRAM_BOT_TOKEN": "",
        "NOTION_TOKEN": "",
        "NOTION_HUMANS_DATABASE_ID": "",
        "NOTION_DIRECTIONS_DATABASE_ID": "",
    }

    result = subprocess.run(RUN, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "NOTION_TOKEN",
        "NOTION_HUMANS_DATABASE_ID",
        "NOTION_DIRECTIONS_DATABASE_ID",
    ):
        assert name in lines[0]


@pytest.mark.e2e
def test_procfile_processes_start_and_stop_together(tmp_path):
    port = free_port()
    with NotionEmulator(token="secret_run") as notion, TelegramEmulator() as telegram:
        env = clean_env(tmp_path) | {
            "SECRET_KEY": "test-run-" + secrets.token_urlsafe(48),
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "Q_WORKERS": "1",
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            "TELEGRAM_WEBHOOK_URL": "",
            "NOTION_TOKEN": "secret_run",
            "NOTION_API_BASE_URL": notion.base_url,
            "NOTION_HUMANS_DATABASE_ID": "11111111-1111-4111-8111-111111111111",
            "NOTION_DIRECTIONS_DATABASE_ID": "22222222-2222-4222-8222-222222222222",
        }
        service = subprocess.Popen(
            RUN,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            telegram.wait_for_call("getUpdates", timeout=60)  # the bot is polling
            deadline = time.monotonic() + 60
            while True:
                try:
                    url = f"http://127.0.0.1:{port}/healthz"
                    with urllib.request.urlopen(url, timeout=2) as answer:
                        assert answer.status == 200
                        break
                except OSError:
                    assert service.poll() is None, service.stdout.read()
                    assert time.monotonic() < deadline, "gunicorn did not answer /healthz"
                    time.sleep(0.3)
            names = {" ".join(p.cmdline()) for p in processes_of(tmp_path)}
            assert any("qcluster" in n for n in names), names
            assert any("gunicorn" in n for n in names), names

            service.send_signal(signal.SIGTERM)
            output, _ = service.communicate(timeout=60)
        finally:
            if service.poll() is None:
                service.kill()

    assert service.returncode == 0, output
    for name in ("web", "worker", "bot"):
        assert f"{name:<8} | started" in output
    assert_nothing_left(tmp_path)
    # The release step applied the schedules: the service never runs without its reaper.
    with sqlite3.connect(tmp_path / "run.sqlite3") as db:
        names = {row[0] for row in db.execute("SELECT name FROM django_q_schedule")}
    assert "integrations: stale run reaper" in names, output
    assert any("nightly full sync" in name for name in names), names
