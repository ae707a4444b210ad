#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import gc
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from config.security import guard_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads config/settings.py now
    except ImproperlyConfigured as exc:
        # A setting that does not parse: its one line (naming the variable), not a
        # traceback for every command.
        sys.stderr.write(f"{exc}\n")
        sys.exit(2)

    refusal = guard_command_line(sys.argv)
    if refusal:
        sys.stderr.write(refusal + "\n")
        sys.exit(2)
    try:
        execute_from_command_line(sys.argv)
    finally:
        # The process ends here. Leave what is left to the exit instead of letting the
        # interpreter's shutdown walk every object of Django and the run in full garbage
        # collections: 0.08-0.15 s of each command (docs/PERFORMANCE.md). Objects are still
        # freed by reference counting, and atexit and log handlers still run; only objects
        # caught in reference cycles are no longer finalised, so close what you open and
        # never rely on `__del__` at exit (Django closes its connections after a command).
        gc.freeze()


if __name__ == "__main__":
    main()
