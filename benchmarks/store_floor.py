"""The floor of a send log in SQLite: what any code could reach on this disk, for ``store_overhead.py``.

Hand-written raw ``sqlite3`` on the store's schema, no smsgate store code: one ``BEGIN IMMEDIATE``
... ``COMMIT`` a send holding its message and attempt rows (``pending``) and the previous send's
outcome (the same two rows, carried), as a send log needs at the least. ``synchronous=FULL`` is
an fsync a commit (as ``durability="machine"``), ``NORMAL`` none (as ``"process"``). Sync: one
commit a send, on the sender's thread. Async: sends queued meanwhile share a commit (group commit),
made by one thread with FULL (an fsync must not stop the loop), on the loop itself with NORMAL.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from smsgate.stores._sqlite_schema import connect

__all__ = ["SQLiteFloor"]

_UPSERT = (
    "INSERT INTO log (id, kind, message_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data"
)
_ids = itertools.count()
Row = tuple[str, str, str, str, float, str]


def rows(phone: str, status: str, n: int) -> list[Row]:
    """A message's record and its attempt's, as JSON of the send log's size."""
    message, attempt = f"fm{n:012d}", f"fa{n:012d}"
    data = (
        f'{{"id":"{message}","kind":"message","message_id":"{message}","phones":["{phone}"],"status":"{status}",'
        '"created_at":1.0,"updated_at":1.0,"provider":"aliyun","number":1,"error":null,"message_ids":{},"deliveries":{}}'
    )
    return [(message, "message", message, status, 1.0, data), (attempt, "attempt", message, status, 1.0, data)]


class SQLiteFloor:
    """A raw SQLite send log: ``insert(phone)`` before each send commits its pending rows with the
    previous send's outcome (``sync()``, ``asynced()``: the interface of ``postgres_floor.Floor``)."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.db = connect(str(path), 10.0)
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.thread = synchronous == "FULL"
        self.carried: list[Row] = []
        self.queued: list[tuple[list[Row], asyncio.Future[None]]] = []
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.committer: threading.Thread | None = None
        self.closed = False

    def commit(self, written: list[Row]) -> None:
        carried, self.carried = self.carried, []
        self.db.execute("BEGIN IMMEDIATE")
        self.db.executemany(_UPSERT, carried + written)
        self.db.execute("COMMIT")

    def send(self, phone: str) -> None:
        """The pending rows of a send committed, its outcome carried by the next commit."""
        n = next(_ids)
        self.commit(rows(phone, "pending", n))
        self.carried += rows(phone, "accepted", n)

    @contextmanager
    def sync(self) -> Iterator[Callable[[str], None]]:
        try:
            yield self.send
        finally:
            self.close()

    @asynccontextmanager
    async def asynced(self, connections: int) -> AsyncIterator[Callable[[str], Awaitable[None]]]:
        try:
            yield self.asend
        finally:
            self.close()

    async def asend(self, phone: str) -> None:
        n = next(_ids)
        future = asyncio.get_running_loop().create_future()
        with self.lock:
            self.queued.append((rows(phone, "pending", n), future))
            first = len(self.queued) == 1
        if first and self.thread:
            self._start()
            self.wake.set()
        elif first:
            asyncio.get_running_loop().call_soon(self._round)
        await future
        self.carried += rows(phone, "accepted", n)

    def _start(self) -> None:
        if self.committer is None:
            self.committer = threading.Thread(target=self._run, daemon=True)
            self.committer.start()

    def _run(self) -> None:
        while not self.closed:
            if self.wake.wait(0.1):
                self.wake.clear()
                self._round()

    def _round(self) -> None:
        with self.lock:
            queued, self.queued = self.queued, []
        if not queued:
            return
        self.commit([row for written, _ in queued for row in written])
        loop = queued[0][1].get_loop()
        if self.thread:
            loop.call_soon_threadsafe(_settle, [future for _, future in queued])
        else:
            _settle([future for _, future in queued])

    def close(self) -> None:
        self.closed = True
        if self.committer is not None:
            self.committer.join()
        self.commit([])
        self.db.close()


def _settle(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(None)
