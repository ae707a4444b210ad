"""Webhook benchmark: `python -m bench.webhook_bench [--events 100] [--burst 100]`.

The real stack on a fresh PostgreSQL database: gunicorn serving /notion/webhook/, a
qcluster running the refreshes, the Notion emulator (in this process) delivering signed
webhooks to gunicorn, with the default NOTION_WEBHOOK_* settings.

- Latency: `--events` edits one after the other (each waits for the previous one to land),
  measured from the event's arrival at our endpoint (`received_at`, stamped by the web
  process) to the moment the refresh's apply transaction marks it applied (`processed_at`,
  stamped by the worker just before that transaction commits): both come from this
  machine's clock. Notion's aggregation delay comes before the arrival and is not ours.
- Burst: `--burst` pages edited at once: the refresh runs it made, Notion requests per
  event, and the time from the first event's arrival to the last one applied.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sandbox.notion_emulator import NotionEmulator  # noqa: E402
from sandbox.notion_webhooks import WebhookSubscription  # noqa: E402
from sandbox.sample_data import INACTIVE_STATUSES, build_organisation  # noqa: E402

ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_WEBHOOK_DB_NAME", "bench_webhook")
TOKEN = "secret_bench_notion"
KEY = "secret_bench_webhook_key"


def fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} not reached within {timeout:g} s")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args()
    url = fresh_database()
    port = free_port()
    with NotionEmulator(token=TOKEN) as notion, tempfile.TemporaryDirectory() as logs:
        org = build_organisation(notion, humans=max(300, args.burst + 50), directions=8, seed=41)
        env = {
            **os.environ,
            "DATABASE_URL": url.replace("postgresql://", "postgres://"),
            "SECRET_KEY": "bench-webhook-" + "k" * 50,
            "NOTION_TOKEN": TOKEN,
            "NOTION_API_BASE_URL": notion.base_url,
            "NOTION_HUMANS_DATABASE_ID": org.humans_database_id,
            "NOTION_DIRECTIONS_DATABASE_ID": org.directions_database_id,
            "NOTION_INACTIVE_STATUSES": ",".join(INACTIVE_STATUSES),
            "NOTION_MAX_RPS": "0",
            "NOTION_WEBHOOK_VERIFICATION_TOKEN": KEY,
            "TELEGRAM_BOT_TOKEN": "",
            "LANGUAGE_CODE": "en",
            "LOG_LEVEL": "INFO",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "sync", "all"], cwd=ROOT, env=env, check=True, capture_output=True)
        gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi"]
        gunicorn += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
        web = _start(gunicorn, env, Path(logs) / "web.log")
        worker = _start([*manage, "qcluster"], env, Path(logs) / "worker.log")
        try:
            wait(lambda: _healthy(port), 60, "gunicorn")
            wait(
                lambda: b"ready for work" in (Path(logs) / "worker.log").read_bytes(),
                60,
                "qcluster",
            )
            subscription = WebhookSubscription(
                notion, f"http://127.0.0.1:{port}/notion/webhook/", token=KEY, delay=0.0
            )
            with subscription, psycopg.connect(url, autocommit=True) as db:
                latencies = measure_latency(notion, org, db, args.events)
                burst = measure_burst(notion, org, db, args.burst)
        finally:
            for process in (web, worker):
                os.killpg(process.pid, 15)
            for process, log in ((web, "web.log"), (worker, "worker.log")):
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.system(f"ps -o pid,ppid,stat,etime,cmd -g {process.pid}")
                    print((Path(logs) / log).read_text(errors="replace")[-3000:])
                    os.killpg(process.pid, 9)
    print(
        f"# {dt.date.today()} · {platform.node()} · {os.cpu_count()} cores · Python "
        f"{platform.python_version()} · PostgreSQL · gunicorn (2 workers) + qcluster · "
        "default NOTION_WEBHOOK_* settings"
    )
    ordered = sorted(latencies)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    print(
        f"event received -> database updated, {len(latencies)} events one after another: "
        f"median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s"
    )
    print(
        f"burst of {burst['events']} edits: {burst['runs']} refresh run(s), "
        f"{burst['requests']} Notion requests ({burst['requests'] / burst['events']:.2f} per "
        f"event), all applied {burst['seconds']:.1f} s after the first arrived"
    )


def _start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


def _named(org) -> list[str]:
    return [p for p in org.active_human_ids if org.names.get(p)]


def measure_latency(notion, org, db, count: int) -> list[float]:
    pages = _named(org)
    latencies = []
    for n in range(count):
        page_id = pages[n % len(pages)]
        email = f"latency{n}@example.org"
        notion.update_page(page_id, properties={"Email": email})
        row = wait(lambda p=page_id, e=email: _landed(db, p, e), 60, f"event {n}")
        latencies.append((row[0] - row[1]).total_seconds())
        wait(lambda: not _busy(db), 30, "quiet")
    return latencies


def _landed(db, page_id: str, email: str):
    """(processed_at, received_at) of the page's event once its new e-mail is applied."""
    return db.execute(
        "SELECT e.processed_at, e.received_at FROM people_human h "
        "JOIN integrations_notionwebhookevent e ON e.entity_id = h.notion_page_id "
        "WHERE h.notion_page_id = %s AND h.email = %s AND e.status = 'done' "
        "ORDER BY e.received_at DESC LIMIT 1",
        [page_id, email],
    ).fetchone()


def measure_burst(notion, org, db, count: int) -> dict:
    pages = _named(org)[:count]
    (last_run,) = db.execute("SELECT coalesce(max(id), 0) FROM integrations_syncrun").fetchone()
    (last_event,) = db.execute(
        "SELECT coalesce(max(id), 0) FROM integrations_notionwebhookevent"
    ).fetchone()
    before = sum(notion.request_counts.values())
    for n, page_id in enumerate(pages):
        notion.update_page(page_id, properties={"Email": f"burst{n}@example.org"})
    wait(
        lambda: (
            db.execute("SELECT count(*) FROM people_human WHERE email LIKE 'burst%%'").fetchone()[0]
            == len(pages)
        ),
        120,
        "the burst applied",
    )
    wait(lambda: not _busy(db), 60, "quiet")
    (seconds,) = db.execute(
        "SELECT extract(epoch FROM max(processed_at) - min(received_at)) "
        "FROM integrations_notionwebhookevent WHERE id > %s",
        [last_event],
    ).fetchone()
    runs, requests = db.execute(
        "SELECT count(*), coalesce(sum(notion_requests), 0) FROM integrations_syncrun "
        "WHERE id > %s AND trigger = 'webhook'",
        [last_run],
    ).fetchone()
    assert requests == sum(notion.request_counts.values()) - before
    return {"events": len(pages), "runs": runs, "requests": requests, "seconds": float(seconds)}


def _busy(db) -> bool:
    (busy,) = db.execute(
        "SELECT (SELECT count(*) FROM integrations_syncrun WHERE status IN ('queued', "
        "'running')) + (SELECT count(*) FROM integrations_notionwebhookevent WHERE status = "
        "'pending')"
    ).fetchone()
    return bool(busy)


if __name__ == "__main__":
    main()
