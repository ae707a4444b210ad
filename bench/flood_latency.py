"""A member's /status latency right after an outsider floods the bot with commands.

    python -m bench.flood_latency [--flood 300] [--rounds 5]

The Telegram emulator runs in this process; a fresh database (SQLite under var/, or the
PostgreSQL server of DATABASE_URL, in a `<name>_bench_flood` database) and a real
`manage.py runbot` process. First a baseline (a member's /status, one at a time); then, each
round, an outsider sends `--flood` commands back to back and the member sends /status right
after the last one. Latency: from the member's message reaching Telegram to the bot's answer
reaching Telegram (both stamped by the emulator's clock). Also printed: how many answers the
outsider got and how many refused attempts the bot stored.

Self-contained (only the emulator and `manage.py`), so it runs against an older checkout too.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from sandbox.telegram_emulator import TelegramEmulator  # noqa: E402

MEMBER_ID, OUTSIDER_ID = 700_000_001, 555_000_001
PAUSE = 1.5  # seconds between a member's commands

_PSQL = """
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as c:
    c.execute(sys.argv[2])
"""


def prepare_database(env: dict[str, str]) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base, _sep, name = url.rpartition("/")
        bench_name = f"{name.split('?', 1)[0]}_bench_flood"
        for sql in (f'DROP DATABASE IF EXISTS "{bench_name}"', f'CREATE DATABASE "{bench_name}"'):
            subprocess.run([sys.executable, "-c", _PSQL, f"{base}/postgres", sql], check=True)
        bench_url = f"{base}/{bench_name}"
    else:
        path = BASE_DIR / "var" / "bench-flood.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        bench_url = f"sqlite:///{path}"
    env["DATABASE_URL"] = bench_url
    manage(env, "migrate", "-v0")
    manage(
        env,
        "shell",
        "-c",
        "from people.models import Human; Human.objects.create(notion_page_id='bench-member', "
        "full_name='Участник Бенчмарка', telegram_username='bench_member', "
        f"telegram_user_id={MEMBER_ID})",
    )
    return bench_url


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def status_latency(telegram: TelegramEmulator, member, timeout: float = 120) -> float:
    sent_at = time.time()
    sent = telegram.send_message(member, "/status")
    reply = telegram.wait_for_message(member.id, after=sent["message_id"], timeout=timeout)
    return (reply.sent_at - sent_at) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood", type=int, default=300, help="commands per outsider flood")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with TelegramEmulator() as telegram:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
                "DEBUG": "false",
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.base_url,
                "TELEGRAM_WEBHOOK_URL": "",
                "LOG_LEVEL": "WARNING",
                "LANGUAGE_CODE": "en",
                "PYTHONUNBUFFERED": "1",
            }
        )
        database_url = prepare_database(env)
        member = telegram.create_user(id=MEMBER_ID, username="bench_member", first_name="Bench")
        outsider = telegram.create_user(id=OUTSIDER_ID, username="flooder", first_name="Flood")
        log = open(BASE_DIR / "var" / "bench-flood-runbot.log", "wb")  # noqa: SIM115
        bot = subprocess.Popen(
            [sys.executable, "manage.py", "runbot"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            telegram.wait_for_call("getUpdates", timeout=60)
            for _ in range(3):
                status_latency(telegram, member)  # warm-up
            baseline = []
            for _ in range(10):
                # A person's pace, not a script's: the bot paces replies to one chat at
                # about one a second after a burst of three (Telegram's guidance).
                time.sleep(PAUSE)
                baseline.append(status_latency(telegram, member))
            after_flood = []
            for _ in range(args.rounds):
                for _ in range(args.flood):
                    telegram.send_message(outsider, "/sync_humans")
                after_flood.append(status_latency(telegram, member))
                time.sleep(PAUSE)
            outsider_answers = len(telegram.sent_messages(outsider.id))
        finally:
            os.killpg(bot.pid, signal.SIGTERM)
            try:
                bot.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(bot.pid, signal.SIGKILL)
                bot.wait(5)
            log.close()
        attempts = manage(
            env,
            "shell",
            "-v",
            "0",
            "-c",
            "from botapp.models import AccessAttempt; print(AccessAttempt.objects.count())",
        ).strip()

    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{engine}, {os.cpu_count()} cores; {args.rounds} floods of {args.flood} commands")
    print(
        f"member /status, baseline:          median {statistics.median(baseline):6.0f} ms, "
        f"max {max(baseline):6.0f} ms"
    )
    print(
        f"member /status, right after flood: median {statistics.median(after_flood):6.0f} ms, "
        f"max {max(after_flood):6.0f} ms  ({', '.join(f'{v:.0f}' for v in after_flood)})"
    )
    print(
        f"outsider's commands: {args.rounds * args.flood}, answers to the outsider: "
        f"{outsider_answers}, refused attempts stored: {attempts}"
    )


if __name__ == "__main__":
    main()
