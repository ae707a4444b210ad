"""The Notion request rate of the whole integration, shared by every process.

Notion limits an integration (a token) to about three requests a second, whoever sends
them: the worker's scheduled run, a member's run from the bot, a `manage.py sync` beside
them, `notion_check`. So the limit lives in the database, not in a process: one row per
integration holds the theoretical arrival time of the next request (GCRA, the "virtual
scheduling" form of a token bucket). A request reserves its slot with one atomic
`UPDATE … RETURNING` and sleeps until it. Requests are spaced 1 / NOTION_MAX_RPS apart on
average; after a quiet moment up to NOTION_BURST go at once. With burst <= 3 and a rate
under Notion's 3/s, the requests of all processes together never exceed Notion's bucket.

Locks: the statement locks the row (PostgreSQL) or takes the write lock (SQLite) for the
statement only, never across the sleep. The database's clock is the only clock, so
processes on different hosts agree. A 429 with Retry-After pushes the next slot of every
process back (`hold`). Never call it inside a transaction that lives on (the row would stay
locked): Notion requests are made outside transactions by design.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from integrations.models import RateLimitBucket
from integrations.notion.errors import NotionConfigurationError

logger = logging.getLogger(__name__)

_TABLE = RateLimitBucket._meta.db_table

_SQL = {
    "postgresql": (
        f"WITH clock AS (SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8 AS t) "
        f"UPDATE {_TABLE} AS b SET next_at = GREATEST(b.next_at, clock.t) + %s FROM clock "
        f"WHERE b.key = %s RETURNING GREATEST(clock.t, b.next_at - %s), clock.t"
    ),
    # julianday('now') is the same within one statement; it has millisecond precision.
    "sqlite": (
        f"UPDATE {_TABLE} SET next_at = MAX(next_at, "
        f"(julianday('now') - 2440587.5) * 86400.0) + %s WHERE key = %s "
        f"RETURNING MAX((julianday('now') - 2440587.5) * 86400.0, next_at - %s), "
        f"(julianday('now') - 2440587.5) * 86400.0"
    ),
}
_HOLD_SQL = {
    "postgresql": (
        f"UPDATE {_TABLE} SET next_at = GREATEST(next_at, "
        f"EXTRACT(EPOCH FROM clock_timestamp())::float8 + %s) WHERE key = %s"
    ),
    "sqlite": (
        f"UPDATE {_TABLE} SET next_at = MAX(next_at, "
        f"(julianday('now') - 2440587.5) * 86400.0 + %s) WHERE key = %s"
    ),
}


def bucket_key(token: str) -> str:
    """One bucket per integration token (never the token itself)."""
    return "notion:" + hashlib.sha256(token.encode()).hexdigest()[:16]


class SharedRateLimit:
    """`wait()` before every request; `hold(seconds)` after a 429. `max_rps <= 0`: off.
    Notion's by default; the Google Sheets client passes its own `service` and `error`."""

    def __init__(
        self,
        *,
        key: str,
        max_rps: float,
        burst: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        service: str = "Notion",
        error: type[Exception] = NotionConfigurationError,
    ) -> None:
        self.key = key
        # Whose limit this is, for the message when the database cannot keep it.
        self.service, self.error = service, error
        self.interval = 1.0 / max_rps if max_rps > 0 else 0.0
        # A request may go this long before its theoretical time: `burst` at once at most.
        self.tolerance = max(burst - 1, 0) * self.interval
        self._sleep = sleep
        self._ready = False

    def wait(self) -> float:
        """Block until this request's slot; return how long we waited."""
        if not self.interval:
            return 0.0
        slot, now = self.reserve()
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)

    def hold(self, seconds: float) -> None:
        """No process sends its next request earlier than `seconds` from now. (A request may
        go `tolerance` before its theoretical time: the hold adds it.)"""
        if not self.interval:
            return
        self._ensure_row()
        sql = _HOLD_SQL.get(connection.vendor)
        if sql is None:
            with transaction.atomic():
                row = RateLimitBucket.objects.select_for_update().get(key=self.key)
                row.next_at = max(row.next_at, time.time() + seconds + self.tolerance)
                row.save(update_fields=["next_at"])
            return
        with connection.cursor() as cursor:
            cursor.execute(sql, [seconds + self.tolerance, self.key])

    def reserve(self) -> tuple[float, float]:
        """Take the next slot: (when this request may go, now), both on the database's
        clock, in seconds since the epoch."""
        self._ensure_row()
        sql = _SQL.get(connection.vendor)
        if sql is None:  # another database: a row lock and this host's clock
            with transaction.atomic():
                row = RateLimitBucket.objects.select_for_update().get(key=self.key)
                now = time.time()
                row.next_at = max(row.next_at, now) + self.interval
                row.save(update_fields=["next_at"])
                return max(now, row.next_at - self.interval - self.tolerance), now
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.interval, self.key, self.interval + self.tolerance])
            slot, now = cursor.fetchone()
        return float(slot), float(now)

    def _ensure_row(self) -> None:
        if self._ready:
            return
        try:
            RateLimitBucket.objects.get_or_create(key=self.key)
        except DatabaseError as exc:
            raise self.error(
                _(
                    "The %(service)s rate limit is kept in the database, which cannot be used "
                    "(%(error)s): check DATABASE_URL and run `manage.py migrate`."
                )
                % {"service": self.service, "error": exc}
            ) from exc
        self._ready = True
