"""`make run`: the real service from `.env`, as the Procfile says (web, worker, bot).

Checks the configuration first and stops with one line naming what to set, runs the
`release` entry (migrations, static files) to its end, then starts the other entries with
their output prefixed by name. When one stops, or on Ctrl-C / SIGTERM, all are stopped
(process groups; see scripts/procs.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.procs import ProcessGroup, parse_procfile, signals_raise_keyboard_interrupt  # noqa: E402

REQUIRED = (
    "TELEGRAM_BOT_TOKEN",
    "NOTION_TOKEN",
    "NOTION_HUMANS_DATABASE_ID",
    "NOTION_DIRECTIONS_DATABASE_ID",
)


def missing_settings() -> list[str]:
    """Settings the real service cannot run without, read the way Django reads them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    from config.security import secret_key_problem

    missing = [name for name in REQUIRED if not str(getattr(settings, name, "")).strip()]
    if secret_key_problem(settings.SECRET_KEY, debug=settings.DEBUG):
        missing.append("SECRET_KEY (a long random one)")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procfile", default=str(ROOT / "Procfile"))
    parser.add_argument("--only", help="comma-separated entries to start (default: all)")
    parser.add_argument("--check", action="store_true", help="check the configuration, exit")
    args = parser.parse_args(argv)

    try:
        missing = missing_settings()
    except Exception as exc:  # noqa: BLE001 - a settings error is one line, not a traceback
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if missing:
        print(
            f"Set {', '.join(missing)} in .env (see .env.example and README, "
            "“Production setup”); `make demo` runs without them.",
            file=sys.stderr,
        )
        return 2
    if args.check:
        print("Configuration is complete.")
        return 0

    entries = parse_procfile(Path(args.procfile))
    wanted = set(args.only.split(",")) if args.only else None
    env = dict(os.environ)
    # Procfile commands say `python`, `gunicorn`: make them this virtualenv's.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("PYTHONUNBUFFERED", "1")

    group = ProcessGroup()
    with signals_raise_keyboard_interrupt():
        try:
            for name, command in entries:
                if name != "release":
                    continue
                print(f"release  | {command}", flush=True)
                code = subprocess.run(command, shell=True, cwd=ROOT, env=env).returncode
                if code:
                    print(f"release failed ({code}): nothing started.", file=sys.stderr)
                    return code
            for name, command in entries:
                if name == "release" or (wanted and name not in wanted):
                    continue
                child = group.start(name, command, env=env, cwd=ROOT, shell=True)
                print(f"{name:<8} | started (pid {child.pid}): {command}", flush=True)
            if not group.children:
                print("Nothing to start.", file=sys.stderr)
                return 2
            ended = group.first_exit()
            code = ended.process.returncode
            print(f"{ended.name:<8} | exited with {code}: stopping the others", flush=True)
            return code or 1
        except KeyboardInterrupt:
            print("\nStopping ...", flush=True)
            return 0
        finally:
            with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop() still kills
                # Longer than SYNC_WORKER_STOP_SECONDS: a stopped worker ends its runs first.
                group.stop(grace=30)


if __name__ == "__main__":
    sys.exit(main())
