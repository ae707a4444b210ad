"""Database work of the bot's async handlers, on a bounded pool of threads.

`sync_to_async`'s default (`thread_sensitive=True`) runs every call on one shared thread:
one write waiting for a lock (SQLite's single writer during a sync's apply, a PostgreSQL
row lock) would freeze every other member's command behind it. Here each call takes one of
`DB_THREADS` threads, so it takes that many blocked calls at once to fill the pool. What
keeps it from filling: the flood limit per user (botapp/flood.py), and refused updates
writing nothing here (their record goes to the single background writer,
botapp/dbwriter.py); what is left on these threads are members' reads and the first-message
binding of a member. Each thread has its own connection, which `close_old_connections()`
closes after every call (CONN_MAX_AGE=0), so nothing is left open when the bot stops and a
broken connection never survives into the next command.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import close_old_connections

# At most this many commands touch the database at once (and this many connections): the
# bot handles up to 32 updates concurrently, most of them waiting on Telegram, not on SQL.
DB_THREADS = 8

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="bot-db")
        return _executor


def shutdown() -> None:
    """Wait for the calls in progress, then drop the threads (and their connections)."""
    global _executor
    with _lock:
        pool, _executor = _executor, None
    if pool is not None:
        pool.shutdown(wait=True)


def _call(fn, /, *args, **kwargs):
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def db(fn, /, *args, **kwargs):
    """Run ORM work (a service, a selector, a render that reads relations) off the loop."""
    return await sync_to_async(_call, thread_sensitive=False, executor=executor())(
        fn, *args, **kwargs
    )
