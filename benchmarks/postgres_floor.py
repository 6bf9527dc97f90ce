"""The floor of a PostgreSQL send log: one hand-written psycopg round trip a send (an ``INSERT`` of
one record), no smsgate store code; what any store could reach on this machine and disk.

Used by ``store_overhead.py`` (``--stores pg-floor,pg-floor-off``): the bare gateway with this
``INSERT`` before each send, ``synchronous_commit`` on (a WAL flush a send, as the default
durability's pending record) or off (as ``durability="process"``). Sync sends run it on one
connection; async sends on a connection each of up to ``IN_FLIGHT // 4`` (as the store's pool).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg

from smsgate.stores import LogRecord

__all__ = ["Floor"]

_ids = itertools.count()
_INSERT = "INSERT INTO smsgate_floor (id, data) VALUES (%s, %s)"


class Floor:
    """One ``INSERT`` a send into a table of its own; ``durable``: ``synchronous_commit`` on."""

    def __init__(self, dsn: str, durable: bool) -> None:
        self.dsn = dsn
        self.setting = "on" if durable else "off"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS smsgate_floor (id text PRIMARY KEY, data text NOT NULL)")

    @staticmethod
    def _row(phone: str) -> tuple[str, str]:
        n = next(_ids)
        record = LogRecord(f"floor{n}", "attempt", f"m{n}", (phone,), "pending", 1.0, 1.0, "aliyun")
        return record.id, record.to_json()

    @contextmanager
    def sync(self) -> Iterator[Callable[[str], None]]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(f"SET synchronous_commit = {self.setting}")
            yield lambda phone: conn.execute(_INSERT, self._row(phone)) and None

    @asynccontextmanager
    async def asynced(self, connections: int) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
        idle: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        for _ in range(connections):
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
            await conn.execute(f"SET synchronous_commit = {self.setting}")
            idle.put_nowait(conn)

        async def insert(phone: str) -> None:
            conn = await idle.get()
            try:
                await conn.execute(_INSERT, self._row(phone))
            finally:
                idle.put_nowait(conn)

        try:
            yield insert
        finally:
            while not idle.empty():
                await idle.get_nowait().close()
