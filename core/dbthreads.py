"""Where a worker's event loop sends its database work: four threads on PostgreSQL, one on SQLite.

Channels' ``database_sync_to_async`` runs everything on one shared thread, so every socket's
send, read marker and connect waited behind every other's round trips to PostgreSQL: measured
with 10,000 sockets, that thread spent 90 % of its time waiting on the network while the event
loop idled. Django keeps a connection per thread (its connection handler is thread-critical),
so each thread here borrows a connection of its own from the pool for each call and returns it
after (``close_old_connections`` runs around every call, as in Channels). SQLite takes one
writer at a time anyway, and stays on Channels' one thread.

Why four: with 10,000 sockets (S2) two threads answered sends at a p99 of 143 ms, four at
73–87 ms; four also connect ~25 % faster than two (S3).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import DatabaseSyncToAsync, database_sync_to_async
from django.conf import settings

_executor: ThreadPoolExecutor | None = None


def thread_count() -> int:
    """``LINLI_DB_THREADS``, or by default 4 on PostgreSQL and 1 on SQLite.

    Read from the settings, never from ``django.db.connection``: on the event loop, touching
    ``connection`` makes Django build a connection wrapper for the calling task's context, and
    every socket calls this from its own task — measured, ~6 KiB held by each open socket.
    """
    configured = settings.LINLI_DB_THREADS
    if configured:
        return configured
    return 4 if settings.DATABASES["default"]["ENGINE"] == POSTGRESQL else 1


POSTGRESQL = "django.db.backends.postgresql"


def _pool(size: int) -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="linli-db")
    return _executor


def db(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``func`` as a coroutine function that runs on the database threads."""
    size = thread_count()
    if size <= 1:
        return database_sync_to_async(func)
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_pool(size))
