"""Lists benchmark: `python -m bench.lists_bench [--rows 2000] [--humans 5000] [--latency 0.25]`.

One run, printed: a sign-up sheet of N rows (members written every way, newcomers, repeated
submissions, blank and name-only rows) in the Google Sheets emulator (this process), loaded
by `manage.py import_list` as a separate process (its own CPU) into a fresh database with M
Humans; then the same list again with nothing changed; then `manage.py sync lists` (the
schedules' re-import of every active list). For each: wall time of the process (Django's
start-up included), the run's own duration, requests to Google (the emulator's count, by
endpoint, and the run's), entries written. Then the first load again against an emulator
answering every request after `--latency` seconds, as Google over the internet does.

The database: BENCH_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/bench_lists,
dropped and created), default a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox.google_sheets_emulator import GoogleSheetsEmulator  # noqa: E402
from sandbox.sample_sheets import FORM_HEADERS  # noqa: E402

EMAIL = "lists-bench@volunteers-bench.iam.gserviceaccount.com"
_FIRST = ("Иван", "Анна", "Пётр", "Мария", "Олег", "Дарья", "Юрий", "Вера", "Глеб", "Нина")
_LAST = ("Смирнов", "Кузнецова", "Попов", "Волкова", "Орлов", "Белова", "Зайцев", "Лебедева")


def database_url(tmp: Path) -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp / 'lists-bench.sqlite3'}"
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return url


def manage(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return wall, result.stdout


def make_humans(count: int, rng: random.Random) -> list[dict]:
    humans = []
    for i in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        humans.append(
            {
                "notion_page_id": f"00000000-0000-4000-8000-{i:012d}",
                "full_name": f"{last} {first} {i}",
                "telegram_username": f"member_{i:05d}",
                "email": f"Member.{i}@Example.org",
                "phone": f"+7 (912) {i // 10000:03d}-{i // 100 % 100:02d}-{i % 100:02d}",
            }
        )
    return humans


def make_sheet(rows: int, humans: list[dict], rng: random.Random) -> tuple[list[list[str]], dict]:
    """A form's answers: 60% members (a third each by handle, e-mail, phone), the rest
    newcomers; 2.5% repeated submissions, 1.5% blank rows, 1% names only."""
    body: list[list[str]] = []
    shape = {"members": 0, "newcomers": 0, "repeats": 0, "blank": 0, "names_only": 0}
    members = rng.sample(humans, min(len(humans), rows))
    stamp = 1_775_000_000
    while len(body) < rows:
        stamp += rng.randint(20, 400)
        when = time.strftime("%d.%m.%Y %H:%M:%S", time.gmtime(stamp))
        roll = rng.random()
        if roll < 0.015:
            body.append([])
            shape["blank"] += 1
        elif roll < 0.025:
            body.append([when, f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"])
            shape["names_only"] += 1
        elif roll < 0.05 and body:
            previous = next((r for r in reversed(body) if len(r) > 2), None)
            if previous is None:
                continue
            body.append([when, *previous[1:]])
            shape["repeats"] += 1
        elif roll < 0.65:
            human = members.pop()
            way = len(body) % 3
            body.append(
                [
                    when,
                    human["full_name"],
                    f"@{human['telegram_username'].title()}" if way == 0 else "",
                    human["email"].upper() if way == 1 else "",
                    "8" + "".join(c for c in human["phone"] if c.isdigit())[1:] if way == 2 else "",
                    "Центральный",
                ]
            )
            shape["members"] += 1
        else:
            n = len(body)
            body.append(
                [
                    when,
                    f"{rng.choice(_LAST)} {rng.choice(_FIRST)}",
                    f"@guest_{n:05d}",
                    "",
                    "",
                    "Северный",
                ]
            )
            shape["newcomers"] += 1
    return [FORM_HEADERS, *body], shape


def last_run(env: dict[str, str]) -> dict:
    _wall, out = manage(
        [
            "shell",
            "-c",
            "import json; from integrations.models import SyncRun; "
            "r = SyncRun.objects.filter(kind='lists').latest('id'); "
            "print(json.dumps({'status': r.status, 'seconds': r.duration.total_seconds(), "
            "'requests': r.notion_requests, 'fetched': r.fetched, 'created': r.created, "
            "'updated': r.updated, 'unchanged': r.unchanged, 'removed': r.deactivated, "
            "'skipped': r.skipped, 'lists': r.report.get('lists', [])}))",
        ],
        env,
    )
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--humans", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.25)
    args = parser.parse_args()
    rng = random.Random(1)
    results = []
    with tempfile.TemporaryDirectory() as tmp, GoogleSheetsEmulator(read_quota=None) as sheets:
        tmp_path = Path(tmp)
        key = tmp_path / "key.json"
        key.write_text(json.dumps(sheets.add_service_account(EMAIL)))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "NOTION_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": database_url(tmp_path),
                "GOOGLE_SERVICE_ACCOUNT_FILE": str(key),
                "GOOGLE_SHEETS_API_BASE_URL": sheets.base_url,
                "LANGUAGE_CODE": "en",
            }
        )
        manage(["migrate", "--noinput"], env)
        humans = make_humans(args.humans, rng)
        seed = tmp_path / "humans.json"
        seed.write_text(json.dumps(humans))
        manage(
            [
                "shell",
                "-c",
                "import json; from people.models import Human; "
                f"Human.objects.bulk_create(Human(**h) for h in json.load(open({str(seed)!r})))",
            ],
            env,
        )
        values, shape = make_sheet(args.rows, humans, rng)
        spreadsheet = sheets.add_spreadsheet(
            "Регистрация (бенчмарк)", {"Ответы на форму (1)": values}, shared_with=[EMAIL]
        )
        link = f"{spreadsheet.url}#gid=0"

        def step(name: str, command: list[str]) -> None:
            sheets.reset_counts()
            wall, _out = manage(command, env)
            run = last_run(env)
            results.append((name, wall, run, dict(sheets.request_counts)))

        step("first load (a sheet never seen)", ["import_list", link])
        step("again, nothing changed", ["import_list", link])
        step("sync lists (the schedules' re-import)", ["sync", "lists"])
        sheets.latency = args.latency
        manage(
            [
                "shell",
                "-c",
                "from lists.models import PeopleList; PeopleList.objects.all().delete()",
            ],
            env,
        )
        step(f"first load, Google answering in {args.latency:g} s", ["import_list", link])

    database = "PostgreSQL" if os.environ.get("BENCH_DATABASE_URL") else "SQLite"
    print(f"Lists benchmark: a {args.rows:,}-row sheet, {args.humans:,} Humans, {database}")
    print(f"sheet: {shape}")
    header = (
        "step",
        "process s",
        "run s",
        "requests",
        "by endpoint",
        "created",
        "updated",
        "unchanged",
        "removed",
    )
    rows = [header]
    for name, wall, run, counts in results:
        rows.append(
            (
                name,
                f"{wall:.2f}",
                f"{run['seconds']:.2f}",
                str(run["requests"]),
                ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
                str(run["created"]),
                str(run["updated"]),
                str(run["unchanged"]),
                str(run["removed"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    first = results[0][2]
    load = first["lists"][0]
    print(
        f"first load: {first['fetched']} rows read, {first['created']} entries "
        f"(ours {sum(load['matched'].values())}: {load['matched']}; new {load['not_found']}), "
        f"{first['skipped']} skipped, {load['merged']} merged; status {first['status']}"
    )


if __name__ == "__main__":
    main()
