"""The async side of :class:`~smsgate.stores.postgres.PostgresStore`: connections of one event loop.

psycopg's ``AsyncConnectionPool`` runs background tasks that survive cancellation, so a pool left
open makes ``asyncio.run()`` wait forever at exit; a store used from any loop cannot promise the
``aclose()`` that avoids it. This keeps up to ``size`` connections of the running loop instead,
with no background task: idle ones are reused, a broken or failed one is dropped, and a new loop
starts afresh.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import orjson
from psycopg import AsyncConnection, Connection
from psycopg.types.json import set_json_loads

__all__ = ["LoopConnections", "fast_json"]


def fast_json(conn: Connection[Any] | AsyncConnection[Any]) -> None:
    """``conn`` reads ``json``/``jsonb`` answers with orjson (the batches' answers are jsonb)."""
    set_json_loads(orjson.loads, conn)


class LoopConnections:
    """Up to ``size`` connections for the loop that created this; waits at most ``timeout`` for one."""

    def __init__(self, dsn: str, kwargs: dict[str, Any], size: int, timeout: float) -> None:
        self.loop = asyncio.get_running_loop()
        self._dsn = dsn
        self._kwargs = kwargs
        self._timeout = timeout
        self._idle: list[AsyncConnection[Any]] = []
        self._slots = asyncio.Semaphore(size)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[Any]]:
        if self._slots.locked():
            await asyncio.wait_for(self._slots.acquire(), self._timeout)
        else:  # free now: no timer task of its own
            await self._slots.acquire()
        try:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                yield conn
            except BaseException:
                with suppress(Exception):
                    await conn.close()  # its state is unknown: never reused
                raise
            if conn.closed or conn.broken:
                return
            self._idle.append(conn)
        finally:
            self._slots.release()

    async def _connect(self) -> AsyncConnection[Any]:
        conn = await AsyncConnection.connect(self._dsn, **self._kwargs)
        fast_json(conn)
        return conn

    def drop(self) -> None:
        """Forget the connections of a loop that is gone (their sockets close without it)."""
        for conn in self._idle:
            conn.pgconn.finish()
        self._idle.clear()

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()
