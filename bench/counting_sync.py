"""`manage.py sync` with a count of database round trips (printed as JSON on stderr).

The same process as `python manage.py sync …` (its `main()`: system checks, exit path and
all); a connection execute_wrapper counts every query this process sends. Used by
bench/sync_bench.py.
"""

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.db import connection  # manage.main() sets Django up, once

    import manage

    count = {"queries": 0}

    def counter(execute, sql, params, many, context):
        count["queries"] += 1
        return execute(sql, params, many, context)

    code = 0
    sys.argv = ["manage.py", "sync", *sys.argv[1:]]
    with connection.execute_wrapper(counter):
        try:
            manage.main()
        except SystemExit as exc:
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    from integrations.sync.writers import CopyWriter

    count["queries"] += CopyWriter.copies  # COPY bypasses execute wrappers; one trip each
    print(json.dumps(count), file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()
