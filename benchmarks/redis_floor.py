"""The floor of a Redis send log: one hand-written redis-py command a send (a ``SET`` of one
record), no smsgate store code; what any store could reach against this redis-server.

Used by ``store_overhead.py`` (``--stores redis-floor``): the bare gateway with this ``SET`` before
each send. Sync sends make one round trip a send on one connection (the least a pending record
written before its request can cost a sequential sender); async sends share a pool of up to
``IN_FLIGHT // 4`` connections, one round trip a send (no pipelining: smsgate's store batches
concurrent sends' commands, so the async figure is a baseline, not a bound).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import redis
import redis.asyncio

from smsgate.stores import LogRecord

__all__ = ["RedisFloor"]

_ids = itertools.count()


class RedisFloor:
    """One ``SET`` a send, under keys of its own ``prefix``."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix

    def _row(self, phone: str) -> tuple[str, str]:
        n = next(_ids)
        record = LogRecord(f"floor{n}", "attempt", f"m{n}", (phone,), "pending", 1.0, 1.0, "aliyun")
        return f"{self.prefix}{record.id}", record.to_json()

    @contextmanager
    def sync(self) -> Iterator[Callable[[str], None]]:
        client = redis.Redis.from_url(self.url)
        try:
            yield lambda phone: client.set(*self._row(phone)) and None
        finally:
            client.close()

    @asynccontextmanager
    async def asynced(self, connections: int) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
        pool = redis.asyncio.BlockingConnectionPool.from_url(self.url, max_connections=connections)
        client = redis.asyncio.Redis(connection_pool=pool)

        async def insert(phone: str) -> None:
            await client.set(*self._row(phone))

        try:
            yield insert
        finally:
            await client.aclose()
