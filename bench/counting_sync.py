"""`manage.py sync` with a count of database round trips (printed as JSON on stderr).

The same process as `python manage.py sync …`; a connection execute_wrapper counts every
query this process sends. Used by bench/sync_bench.py.
"""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    count = {"queries": 0}

    def counter(execute, sql, params, many, context):
        count["queries"] += 1
        return execute(sql, params, many, context)

    code = 0
    with connection.execute_wrapper(counter):
        try:
            call_command("sync", *sys.argv[1:])
        except SystemExit as exc:
            code = int(exc.code or 0)
        except Exception as exc:  # noqa: BLE001 - report and exit non-zero like manage.py
            print(exc, file=sys.stderr)
            code = 1
    from integrations.sync.writers import CopyWriter

    count["queries"] += CopyWriter.copies  # COPY bypasses execute wrappers; one trip each
    print(json.dumps(count), file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
