"""Bot latency: command -> first reply, and run end -> end message, with real processes.

    python -m bench.bot_latency [--commands 50] [--update-docs]

Starts the Telegram and Notion emulators in this process, a fresh database (SQLite under
var/, or the PostgreSQL server of DATABASE_URL, in a `<name>_bench_bot` database), and real
`manage.py runbot` and `manage.py qcluster` processes. A member sends `/sync_humans` N times
(each waits for the previous run's end). Measured per command:

- first reply: from the user's message reaching Telegram to the bot's "started #id" message
  reaching Telegram (both stamped by the emulator's clock);
- end message: from `SyncRun.finished_at` (written by the worker) to the end message
  reaching Telegram. Same machine, same clock.

Targets: first reply <= 300 ms median, end message <= 1.5 s after the run ends.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DOC = BASE_DIR / "docs" / "PERFORMANCE.md"
TARGET_FIRST_MS, TARGET_END_MS = 300.0, 1500.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def prepare_database() -> str:
    """A fresh, migrated database for the benchmark; returns its DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base, _sep, name = url.rpartition("/")
        name = name.split("?", 1)[0]
        bench_name = f"{name}_bench_bot"
        admin = f"{base}/postgres"
        for sql in (f'DROP DATABASE IF EXISTS "{bench_name}"', f'CREATE DATABASE "{bench_name}"'):
            subprocess.run([sys.executable, "-c", _PSQL, admin, sql], check=True, cwd=BASE_DIR)
        bench_url = f"{base}/{bench_name}"
    else:
        path = BASE_DIR / "var" / "bench-bot.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        bench_url = f"sqlite:///{path}"
    env = {**os.environ, "DATABASE_URL": bench_url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], check=True, cwd=BASE_DIR, env=env
    )
    return bench_url


_PSQL = """
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(sys.argv[2])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=50)
    parser.add_argument("--humans", type=int, default=60, help="sample organisation size")
    parser.add_argument("--update-docs", action="store_true", help="rewrite the Bot section")
    args = parser.parse_args()

    database_url = prepare_database()
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from integrations.models import SyncRun
    from people.models import Human
    from sandbox.notion_emulator import NotionEmulator
    from sandbox.sample_data import INACTIVE_STATUSES, build_organisation
    from sandbox.telegram_emulator import TelegramEmulator
    from tests.e2e.processes import ServiceProcess, service_env

    log_dir = BASE_DIR / "var" / "bench-bot-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with NotionEmulator(token="secret_bench") as notion, TelegramEmulator() as telegram:
        org = build_organisation(notion, humans=args.humans, directions=8, seed=3)
        page_id = next(h for h in org.active_human_ids if org.telegram_by_human[h] and org.names[h])
        handle = org.telegram_by_human[page_id]
        Human.objects.create(
            notion_page_id=page_id, full_name=org.names[page_id], telegram_username=handle
        )
        user = telegram.create_user(username=handle, first_name="Bench")
        env = service_env(
            database_url=database_url,
            telegram=telegram,
            notion=notion,
            org=org,
            inactive_statuses=INACTIVE_STATUSES,
            LOG_LEVEL="WARNING",
            Q_POLL="0.2",  # the production default
            TELEGRAM_PROGRESS_INTERVAL="3",
            SYNC_PROGRESS_SECONDS="1",
        )
        processes = [
            ServiceProcess("runbot", ["runbot"], env, log_dir),
            ServiceProcess("qcluster", ["qcluster"], env, log_dir),
        ]
        try:
            for process in processes:
                process.start()
            telegram.wait_for_call("getUpdates", timeout=60)
            first, end, durations = [], [], []
            for i in range(args.commands + 3):  # 3 warm-up commands
                sent_at = time.time()  # the emulator's clock stamps bot messages (sent_at)
                sent = telegram.send_message(user, "/sync_humans")
                reply = telegram.wait_for_message(user.id, after=sent["message_id"], timeout=30)
                (run_id,) = [int(n) for n in re.findall(r"#(\d+)", reply.text)]
                done = telegram.wait_for_message(user.id, after=reply.message_id, timeout=60)
                run = SyncRun.objects.get(pk=run_id)
                if i < 3:
                    continue
                first.append((reply.sent_at - sent_at) * 1000)
                end.append((done.sent_at - run.finished_at.timestamp()) * 1000)
                durations.append(run.duration.total_seconds() * 1000)
        finally:
            for process in processes:
                process.stop()

    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    rows = [
        ("command -> first reply", first, TARGET_FIRST_MS),
        ("run end -> end message", end, TARGET_END_MS),
        ("run duration (context)", durations, None),
    ]
    table = [
        "| measure | median | p95 | max | target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, values, target in rows:
        median = statistics.median(values)
        verdict = (
            "—"
            if target is None
            else (f"<= {target:.0f} ms median: {'met' if median <= target else 'MISSED'}")
        )
        table.append(
            f"| {name} | {median:.0f} ms | {percentile(values, 0.95):.0f} ms "
            f"| {max(values):.0f} ms | {verdict} |"
        )
    machine = (
        f"{platform.node()}: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    header = [
        f"Measured {datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine}; {engine}; "
        f"{args.commands} `/sync_humans` commands (after 3 warm-up), {args.humans}-member "
        "sample organisation, `Q_POLL=0.2`.",
        "",
        f"Command: `python -m bench.bot_latency --commands {args.commands}`"
        + (" (DATABASE_URL=postgres://…)" if engine == "PostgreSQL" else ""),
    ]
    print("\n".join([*header, "", *table]))
    if args.update_docs:
        update_docs(engine, "\n".join([*header, "", *table]))


def update_docs(engine: str, block: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    marker_start = f"<!-- bot-latency:{engine}:start -->"
    marker_end = f"<!-- bot-latency:{engine}:end -->"
    section = f"{marker_start}\n{block}\n{marker_end}"
    if marker_start in text:
        text = re.sub(
            re.escape(marker_start) + r".*?" + re.escape(marker_end),
            lambda _m: section,
            text,
            flags=re.S,
        )
    else:
        if "## Bot" not in text:
            text = text.rstrip() + "\n\n## Bot\n\n" + BOT_INTRO
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text)


BOT_INTRO = """How fast the Telegram bot answers, with the real `runbot` and `qcluster` processes
against the Telegram and Notion emulators (`bench/bot_latency.py`). The first reply is the
bot's own work (authorise, create the run under the database lock, answer); the end message
is sent by the worker right after the run's transaction commits (no polling in between).
Not included: the network between Telegram and the server (add one round trip to each
figure in production) and the queue pick-up between the first reply and the run's start
(at most `Q_POLL`, 0.2 s by default), which delays the run, not either message.
"""


if __name__ == "__main__":
    main()
