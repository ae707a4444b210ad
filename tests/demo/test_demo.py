"""`make demo` without a terminal: the scripted conversation end to end, and clean stops."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_command(tmp_path: Path) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "scripts" / "demo.py"),
        "--port",
        str(free_port()),
        "--db",
        str(tmp_path / "demo.sqlite3"),
        "--humans",
        "150",
    ]


def demo_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # the demo has its own SQLite database whatever CI uses
    return env


def processes_of(tmp_path: Path) -> list[psutil.Process]:
    """Live processes the demo started: they all carry its database path in DATABASE_URL."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.pid == os.getpid() or process.status() == psutil.STATUS_ZOMBIE:
                continue
            if str(tmp_path) in process.environ().get("DATABASE_URL", ""):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def assert_nothing_left(tmp_path: Path) -> None:
    deadline = time.monotonic() + 10
    while (left := processes_of(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, [(p.pid, p.cmdline()) for p in left]


def chat(transcript: str, header: str) -> str:
    start = transcript.index(header)
    end = transcript.find("\n--- ", start + 1)
    return transcript[start : end if end != -1 else None]


def test_scripted_demo_shows_a_members_sync_from_start_to_end(tmp_path):
    result = subprocess.run(
        demo_command(tmp_path),
        cwd=ROOT,
        env=demo_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    transcript = output[output.index("== Transcript") :]
    outsider = chat(transcript, "--- private chat with Незнакомец")
    assert "555000001" in outsider  # the refusal shows their own Telegram id
    member = transcript.split("--- private chat with ")[2]
    runs = []
    for command in ("/sync_humans", "/sync_directions"):
        sent = re.search(rf"^#\d+ [\d:]+ [^\n]*\): {command}$", member, re.M)
        after = member[sent.end() :]
        accepted, ended = re.findall(r"^#\d+ [\d:]+ bot[^:]*: (.*)$", after, re.M)[:2]
        run = re.search(r"#(\d+)", accepted).group(1)
        assert f"#{run}" in ended, after
        runs.append(run)
    assert runs[0] != runs[1]
    assert "/status" in member and "/history" in member
    # The webhook step: a rename in Notion is in the database, and /whoami says so.
    renamed = re.search(r"\(in Notion: .+ is now (.+)\)", output).group(1)
    assert "the webhook brought it into the database" in output
    whoami = member[member.index("): /whoami") :]
    assert renamed in whoami.split("\n#")[1], whoami[:400]
    assert "Admin: http://127.0.0.1:" in output
    assert_nothing_left(tmp_path)


def test_interrupted_demo_stops_everything_it_started(tmp_path):
    demo = subprocess.Popen(
        demo_command(tmp_path),
        cwd=ROOT,
        env=demo_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            if line.startswith("Admin: http"):
                break
        else:
            pytest.fail("the demo ended before starting its services")
        assert len(processes_of(tmp_path)) >= 3  # qcluster (+ its workers), runbot, runserver

        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()

    assert demo.returncode == 130, rest
    assert "Everything the demo started has stopped." in rest
    assert_nothing_left(tmp_path)
