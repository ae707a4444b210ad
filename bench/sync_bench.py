"""Sync benchmark: `python -m bench.sync_bench [--sizes 1000,10000,50000] [--latency-size N]`.

For each size, against a Notion emulator process and a fresh PostgreSQL database:
- floor: bench/floor.py (httpx + json + one COPY) — the least work that copies the pages;
- full: `manage.py sync humans --full` (bench/counting_sync.py: the same, counting queries);
- no-change incremental: `manage.py sync humans --incremental` right after.
Wall time, Notion requests, database queries, peak RSS of each process, and sync/floor.
Latency mode: the emulator answers after 250 ms; sync time / (requests x 250 ms).
The client throttle is off (NOTION_MAX_RPS=0): the emulator has no rate limit here, and
with the throttle on, time is set by NOTION_MAX_RPS, not by the code.
Rate-limited mode (`--rate-limited-size N`, 0 skips it): the emulator answers after 1.0 s
and answers 429 above 3 requests/s, like Notion; two consecutive full syncs at the default
NOTION_MAX_RPS (2.5): seconds, requests, sync time / (requests / NOTION_MAX_RPS), 429s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ADMIN_DSN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = os.environ.get("BENCH_DB_NAME", "bench_sync")
LATENCY = 0.25
RATE_LATENCY = 1.0  # rate-limited mode: seconds per answer
RATE_LIMIT = 3.0  # rate-limited mode: the emulator's requests/s (Notion's average)
MAX_RPS = 2.5  # rate-limited mode: NOTION_MAX_RPS, the default


def run(cmd: list[str], env: dict) -> dict:
    """Run a process to its end; wall time, peak RSS (its own), stdout, stderr, exit code."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = {
            "wall": wall,
            "rss_mb": usage.ru_maxrss / 1024,
            "code": proc.returncode,
            "out": out.read().decode(),
            "err": err.read().decode(),
        }
    if result["code"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result['out']}\n{result['err']}")
    return result


def fresh_database() -> str:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"


def last_run(url: str) -> dict:
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute(
            "SELECT notion_requests, fetched, created, updated, deactivated, status, error "
            "FROM integrations_syncrun ORDER BY id DESC LIMIT 1"
        ).fetchone()
    keys = ("requests", "fetched", "created", "updated", "deactivated", "status", "error")
    return dict(zip(keys, row, strict=True))


def start_emulator(
    count: int, latency: float = 0.0, rate: float = 0.0
) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [PY, "-m", "bench.emulator", str(count), str(latency), str(rate)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    info = json.loads(proc.stdout.readline())
    return proc, info


def sync_env(url: str, emu: dict) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "NOTION_TOKEN": emu["token"],
        "NOTION_API_BASE_URL": emu["base_url"],
        "NOTION_HUMANS_DATABASE_ID": emu["database_id"],
        "NOTION_MAX_RPS": "0",
        "LOG_LEVEL": "WARNING",
    }


def measure_size(count: int) -> dict:
    url = fresh_database()
    emu_proc, emu = start_emulator(count)
    try:
        env = sync_env(url, emu)
        run([PY, "manage.py", "migrate", "-v0"], env)
        floor_cmd = [
            PY,
            "-m",
            "bench.floor",
            emu["base_url"],
            emu["token"],
            emu["data_source_id"],
            url.replace("postgres://", "postgresql://"),
        ]
        run(floor_cmd, env)  # warm-up: the emulator serialises each page once
        floor = run(floor_cmd, env)
        full = run([PY, "-m", "bench.counting_sync", "humans", "--full"], env)
        full_run = last_run(url)
        incr = run([PY, "-m", "bench.counting_sync", "humans", "--incremental"], env)
        incr_run = last_run(url)
    finally:
        emu_proc.terminate()
        emu_proc.wait()
    return {
        "n": count,
        "floor_s": floor["wall"],
        "floor_rss": floor["rss_mb"],
        "sync_s": full["wall"],
        "sync_rss": full["rss_mb"],
        "sync_requests": full_run["requests"],
        "created": full_run["created"],
        "sync_queries": json.loads(full["err"].strip().splitlines()[-1])["queries"],
        "incr_s": incr["wall"],
        "incr_requests": incr_run["requests"],
        "incr_writes": incr_run["created"] + incr_run["updated"] + incr_run["deactivated"],
        "incr_queries": json.loads(incr["err"].strip().splitlines()[-1])["queries"],
        "ratio": full["wall"] / floor["wall"],
    }


def measure_latency(count: int) -> dict:
    url = fresh_database()
    emu_proc, emu = start_emulator(count, LATENCY)
    try:
        env = sync_env(url, emu)
        run([PY, "manage.py", "migrate", "-v0"], env)
        full = run([PY, "-m", "bench.counting_sync", "humans", "--full"], env)
        requests = last_run(url)["requests"]
    finally:
        emu_proc.terminate()
        emu_proc.wait()
    ideal = requests * LATENCY
    return {
        "n": count,
        "sync_s": full["wall"],
        "requests": requests,
        "ideal_s": ideal,
        "ratio": full["wall"] / ideal,
    }


def emulator_counts(proc: subprocess.Popen) -> dict:
    """What the emulator served since the last call (it prints it on SIGUSR1)."""
    proc.send_signal(signal.SIGUSR1)
    return json.loads(proc.stdout.readline())


def measure_rate_limited(count: int) -> list[dict]:
    url = fresh_database()
    emu_proc, emu = start_emulator(count, RATE_LATENCY, RATE_LIMIT)
    results = []
    try:
        env = {**sync_env(url, emu), "NOTION_MAX_RPS": str(MAX_RPS)}
        run([PY, "manage.py", "migrate", "-v0"], env)
        emulator_counts(emu_proc)
        for _ in range(2):
            full = run([PY, "-m", "bench.counting_sync", "humans", "--full"], env)
            requests = last_run(url)["requests"]
            served = emulator_counts(emu_proc)
            results.append(
                {
                    "n": count,
                    "sync_s": full["wall"],
                    "requests": requests,
                    "floor_s": requests / MAX_RPS,
                    "ratio": full["wall"] / (requests / MAX_RPS),
                    "rate_limited": served["rate_limited"],
                    "max_in_flight": served["max_in_flight"],
                }
            )
    finally:
        emu_proc.terminate()
        emu_proc.wait()
    return results


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--latency-size", type=int, default=10000, help="0 skips latency mode")
    parser.add_argument(
        "--rate-limited-size", type=int, default=10000, help="0 skips rate-limited mode"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    print(
        f"# {dt.date.today()} · {platform.node()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · PostgreSQL · emulator in its own process"
    )
    results = [measure_size(n) for n in sizes]
    rows = [
        [
            "humans",
            "floor s",
            "sync s",
            "sync/floor",
            "requests",
            "min requests",
            "db queries",
            "peak RSS MB",
            "floor RSS MB",
            "no-change incr s",
            "incr requests",
            "incr row writes",
            "incr queries",
        ]
    ]
    for r in results:
        rows.append(
            [
                f"{r['n']:,}",
                f"{r['floor_s']:.2f}",
                f"{r['sync_s']:.2f}",
                f"{r['ratio']:.2f}",
                str(r["sync_requests"]),
                str(2 + -(-r["n"] // 100)),
                str(r["sync_queries"]),
                f"{r['sync_rss']:.0f}",
                f"{r['floor_rss']:.0f}",
                f"{r['incr_s']:.2f}",
                str(r["incr_requests"]),
                str(r["incr_writes"]),
                str(r["incr_queries"]),
            ]
        )
    print(table(rows))
    by_n = {r["n"]: r for r in results}
    if 10000 in by_n and 50000 in by_n:
        print(
            f"peak RSS growth 10,000 -> 50,000 humans: "
            f"{by_n[50000]['sync_rss'] - by_n[10000]['sync_rss']:+.1f} MB"
        )
    if args.latency_size:
        lat = measure_latency(args.latency_size)
        print(
            f"latency mode ({LATENCY * 1000:.0f} ms per answer, {lat['n']:,} humans): "
            f"sync {lat['sync_s']:.2f} s, {lat['requests']} requests x {LATENCY} s = "
            f"{lat['ideal_s']:.2f} s, ratio {lat['ratio']:.3f}"
        )
    if args.rate_limited_size:
        minimum = 2 + -(-args.rate_limited_size // 100)
        print(
            f"rate-limited mode ({RATE_LATENCY:g} s per answer, emulator {RATE_LIMIT:g} req/s, "
            f"NOTION_MAX_RPS={MAX_RPS:g}, {args.rate_limited_size:,} humans, minimum "
            f"{minimum} requests):"
        )
        for i, r in enumerate(measure_rate_limited(args.rate_limited_size), 1):
            print(
                f"  full sync {i}: {r['sync_s']:.2f} s, {r['requests']} requests "
                f"(+{r['requests'] - minimum}), requests / NOTION_MAX_RPS = {r['floor_s']:.2f} s, "
                f"ratio {r['ratio']:.3f}, 429s {r['rate_limited']}, "
                f"at most {r['max_in_flight']} requests at once"
            )


if __name__ == "__main__":
    main()
