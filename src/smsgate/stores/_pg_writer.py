"""Group commit for PostgreSQL's async writes: the calls of one event loop, queued while a commit
runs, go out together on one connection as one statement (``smsgate_apply``: one round trip, one
transaction, one WAL flush). Durable and lazy calls (admitting a send, a rate token, outcomes)
queue apart (a lazy one never waits for a WAL flush), each with up to ``lanes`` commits in flight.

A caller's write returns only after the commit holding it (a batch of lazy writes only commits
with ``synchronous_commit`` off). Should the shared transaction fail,
each write of that batch is tried again on its own, so one bad write fails alone. The task that
commits runs while there is work and ends when the queue is empty.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ._pg_async import LoopConnections
from ._pg_statements import Call, applied, arows_of

__all__ = ["GroupWriter"]

Alone = Callable[[list[Any], bool], Awaitable[list[Any]]]  # calls, lazy -> their answers
Write = tuple[list[Call], "asyncio.Future[list[Any]]", bool]  # calls, the caller's answer, lazy


class GroupWriter:
    """Commits the writes queued on one event loop together; ``alone`` runs one write by itself."""

    def __init__(self, connections: LoopConnections, alone: Alone, lanes: int = 2) -> None:
        self._connections = connections
        self._alone = alone
        self._lanes = lanes
        self._queues: dict[bool, list[Write]] = {False: [], True: []}  # durable, lazy
        self._running = {False: 0, True: 0}
        self._tasks: set[asyncio.Task[None]] = set()
        self.commits = 0  # transactions committed, for tests and benchmarks

    async def write(self, calls: list[Call], lazy: bool = False) -> list[Any]:
        """Run ``calls`` in the next group commit of their kind; their decoded answers, in order."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._queues[lazy].append((calls, future, lazy))
        if self._running[lazy] < self._lanes:
            self._running[lazy] += 1
            task = asyncio.create_task(self._drain(lazy))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self, lazy: bool) -> None:
        batch: list[Write] = []
        try:
            while self._queues[lazy]:
                batch, self._queues[lazy] = self._queues[lazy], []
                batch = [write for write in batch if not write[1].done()]
                if len(batch) == 1:
                    await self._one(*batch[0])
                elif batch:
                    await self._together(batch)
        finally:  # cancelled (the loop is shutting down): nobody waits forever
            self._running[lazy] -= 1
            for _, future, _ in [*batch, *(self._queues[lazy] if not self._running[lazy] else [])]:
                future.cancel()

    async def _together(self, batch: list[Write]) -> None:
        sql, args, decode = applied([call for calls, _, _ in batch for call in calls], batch[0][2])
        try:
            async with self._connections.connection() as conn:
                answers = decode(await arows_of(await conn.execute(sql, args)))
        except Exception:  # one of them is at fault, or the connection: each is tried alone
            for write in batch:
                await self._one(*write)
            return
        self.commits += 1
        answer = iter(answers)
        for mine, future, _ in batch:
            decoded = [next(answer) for _ in mine]
            if not future.done():
                future.set_result(decoded)

    async def _one(self, calls: list[Call], future: asyncio.Future[list[Any]], lazy: bool) -> None:
        try:
            answer = await self._alone(calls, lazy)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        self.commits += 1
        if not future.done():
            future.set_result(answer)
