"""The sync connection :class:`~smsgate.stores.postgres.PostgresStore` holds between calls: a
sequential caller pays no pool checkout a call (getting, resetting and returning a connection
costs more client CPU than a small statement). A call made while another thread holds it takes one
of the pool's; a held connection whose call failed goes back to the pool, which checks it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

__all__ = ["Held"]


class Held:
    """One connection of ``pool``, held between calls."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool
        self._conn: Connection[Any] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[Connection[Any]]:
        if not self._lock.acquire(blocking=False):  # another thread's call: the pool's
            with self._pool.connection() as conn:
                yield conn
            return
        try:
            if self._conn is None:
                self._conn = self._pool.getconn()
            try:
                yield self._conn
            except BaseException:
                self._pool.putconn(self._conn)
                self._conn = None
                raise
        finally:
            self._lock.release()

    def give_back(self) -> None:
        """Return the held connection to the pool (before the pool closes)."""
        with self._lock:
            if self._conn is not None and not self._pool.closed:
                self._pool.putconn(self._conn)
            self._conn = None
