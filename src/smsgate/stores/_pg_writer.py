"""Group commit for PostgreSQL's async writes: the calls of one event loop, queued while a commit
runs, go out together on one connection as one statement (``smsgate_apply``: one round trip, one
transaction, one WAL flush). Durable and lazy calls (admitting a send, a rate token, outcomes)
queue apart (a lazy one never waits for a WAL flush), each with up to ``lanes`` commits in flight.

A caller's write returns only after the commit holding it (a batch of lazy writes only commits
with ``synchronous_commit`` off). Should the shared transaction fail,
each write of that batch is tried again on its own, so one bad write fails alone. The task that
commits runs while there is work and ends when the queue is empty.

Writes behind (:meth:`GroupWriter.behind`) are waited for by nobody: the next commit of either kind
carries them, ahead of its own writes, or a lazy one of their own after
:data:`~smsgate.stores.base.LINGER` seconds; a failure is logged (see :mod:`._pg_behind`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from . import base
from ._pg_async import LoopConnections
from ._pg_behind import behind_failed
from ._pg_statements import Call, applied, arows_of

__all__ = ["GroupWriter"]


def _logged(calls: int, future: asyncio.Future[list[Any]]) -> None:
    """A write behind's end, logged when it was not made (nobody else hears of it)."""
    if future.cancelled():
        behind_failed(calls, "cancelled")
    elif (exc := future.exception()) is not None:
        behind_failed(calls, getattr(exc, "sqlstate", None) or type(exc).__name__)


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
        self._behind: list[Write] = []
        self._timer: asyncio.TimerHandle | None = None
        self.commits = 0  # transactions committed, for tests and benchmarks

    async def write(self, calls: list[Call], lazy: bool = False) -> list[Any]:
        """Run ``calls`` in the next group commit of their kind; their decoded answers, in order."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        self._queues[lazy].append((calls, future, lazy))
        self._start(lazy)
        return await future

    def behind(self, calls: list[Call]) -> None:
        """``calls`` in the next commit of either kind, or alone after LINGER; a failure is logged."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Any]] = loop.create_future()
        future.add_done_callback(partial(_logged, len(calls)))
        self._behind.append((calls, future, True))
        if self._timer is None:
            self._timer = loop.call_later(base.LINGER, self._lingered)

    @property
    def waiting(self) -> bool:
        """Writes behind wait for a commit."""
        return bool(self._behind)

    async def settle(self) -> None:
        """Make the writes behind now (reads see them); their failures are logged, not raised."""
        futures = [future for _, future, _ in self._behind]
        self._lingered()
        await asyncio.gather(*futures, return_exceptions=True)

    def _lingered(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._behind:
            self._queues[True][:0], self._behind = self._behind, []
            self._start(True)

    def _start(self, lazy: bool) -> None:
        if self._running[lazy] < self._lanes:
            self._running[lazy] += 1
            task = asyncio.create_task(self._drain(lazy))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _drain(self, lazy: bool) -> None:
        batch: list[Write] = []
        try:
            while self._queues[lazy]:
                batch, self._queues[lazy], self._behind = self._behind + self._queues[lazy], [], []
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
        lazy = all(write[2] for write in batch)  # writes behind (lazy) go first, whatever the batch
        sql, args, decode = applied([call for calls, _, _ in batch for call in calls], lazy)
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
