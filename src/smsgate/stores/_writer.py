"""Group commit for SQLite: one thread owns the connection and commits every queued job at once.

A job is a function of the connection. The writer takes every job queued while it was busy, runs
them in one ``BEGIN IMMEDIATE`` transaction (each in a savepoint, so a failing job undoes only its
own changes), commits once (one fsync for the lot), then answers each caller: a caller learns its
write is done only after the commit holding it returned. Jobs of one kind that can run together
(a :class:`Merged` job, such as the send log's writes) run as one, with a few statements for the
lot; should that fail, each runs alone. Sync callers wait on a
:class:`~concurrent.futures.Future`; async callers await an asyncio future of their own loop, and
the writer wakes each loop once per commit. The thread exits after a second with nothing to do (closing its connection)
and starts again on the next call, so a store that is dropped without ``close()`` leaves nothing
running.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from .._errors import StoreError
from .base import store_error

__all__ = ["Job", "Merged", "Writer"]

Job = Callable[[sqlite3.Connection], Any]
Item = tuple[Job, Any, str]  # the job, its waiter (a concurrent or an asyncio future), the operation
Answer = tuple[Any, bool, Any]  # the waiter, whether the job succeeded, its result or error


class Merged(Protocol):
    """A job that can run together with the other jobs of its kind queued with it."""

    def __call__(self, db: sqlite3.Connection) -> Any: ...

    def run_together(self, db: sqlite3.Connection, jobs: list[Any]) -> list[Any]:
        """Run ``jobs`` (all of this kind, this one among them) at once; their results, in order."""
        ...


IDLE = 1.0  # seconds without work before the thread exits
_WAKE: Item = (lambda db: None, None, "close")  # queued by close(): the thread looks again at once


class Writer:
    """The thread behind one :class:`~smsgate.stores.SQLiteStore`, running while there is work."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], name: str) -> None:
        self._connect = connect
        self._name = name
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.commits = 0  # transactions committed, for tests and benchmarks
        self._synchronous = "FULL"  # as the connection was opened

    def _submit(self, job: Job, waiter: Any, operation: str) -> None:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self._name} is closed", store=self._name, operation=operation)
            self._queue.put((job, waiter, operation))
            if not self._running:
                self._running = True
                self._thread = threading.Thread(target=self._run, name="smsgate-sqlite", daemon=True)
                self._thread.start()

    def call(self, job: Job, operation: str) -> Any:
        future: Future[Any] = Future()
        self._submit(job, future, operation)
        return future.result()

    async def acall(self, job: Job, operation: str) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._submit(job, future, operation)
        return await future

    def close(self) -> None:
        """Refuse new work; work already queued is still committed, and the file released, on return."""
        with self._lock:
            self._closed = True
            thread = self._thread if self._running else None
            self._queue.put(_WAKE)
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self) -> None:
        try:
            db = self._connect()
        except Exception as exc:  # fail what waits; the next call tries again
            with self._lock:
                self._running = False
                batch = [item for item in self._drain([]) if item is not _WAKE]
            self._answer(
                [(waiter, False, self._error(operation, exc)) for _job, waiter, operation in batch if _live(waiter)]
            )
            return
        try:
            while True:
                try:
                    first = self._queue.get(timeout=0 if self._closed else IDLE)
                except queue.Empty:
                    with self._lock:
                        if self._queue.empty():
                            self._running = False
                            return
                    continue
                batch = [item for item in self._drain([first]) if item is not _WAKE]
                lazy = [item for item in batch if getattr(item[0], "lazy", False)]
                for part in (lazy, [item for item in batch if not getattr(item[0], "lazy", False)]):
                    if part:  # lazy jobs first, answered without waiting for the others' fsync
                        self._commit(db, part)
        finally:
            db.close()

    def _drain(self, batch: list[Item]) -> list[Item]:
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return batch

    def _commit(self, db: sqlite3.Connection, jobs: list[Item]) -> None:
        live = [item for item in jobs if _live(item[1])]
        kinds: dict[type, list[Item]] = {}
        alone: list[Item] = []
        for item in live:
            if hasattr(item[0], "run_together"):
                kinds.setdefault(type(item[0]), []).append(item)
            else:
                alone.append(item)
        answers: list[Answer] = []
        try:
            self._durability(db, all(getattr(job, "lazy", False) for job, _, _ in live))
            db.execute("BEGIN IMMEDIATE")
            for items in kinds.values():
                if len(items) > 1 and self._together(db, items, answers):
                    continue
                alone += items
            for item in alone:
                answers.append(self._alone(db, item))
            db.execute("COMMIT")
        except Exception as exc:  # BEGIN or COMMIT failed (locked past the timeout, I/O error): nothing kept
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            self._answer([(waiter, False, self._error(operation, exc)) for _job, waiter, operation in live])
            return
        self.commits += 1
        self._answer(answers)

    def _durability(self, db: sqlite3.Connection, lazy: bool) -> None:
        """A commit of lazy jobs only skips its fsync (``synchronous=NORMAL``): the next full commit's
        fsync of the WAL makes it durable too; until then it survives the process, not the machine."""
        wanted = "NORMAL" if lazy else "FULL"
        if wanted != self._synchronous:
            db.execute(f"PRAGMA synchronous={wanted}")
            self._synchronous = wanted

    def _together(self, db: sqlite3.Connection, items: list[Item], answers: list[Answer]) -> bool:
        """Run jobs of one kind as one (in a savepoint); ``False`` (nothing kept) when that failed."""
        db.execute("SAVEPOINT together")
        try:
            results = items[0][0].run_together(db, [job for job, _, _ in items])  # type: ignore[attr-defined]
        except Exception:  # one of them is at fault: each runs alone instead
            db.execute("ROLLBACK TO together")
            db.execute("RELEASE together")
            return False
        db.execute("RELEASE together")
        answers += [(waiter, True, result) for (_, waiter, _), result in zip(items, results, strict=True)]
        return True

    def _alone(self, db: sqlite3.Connection, item: Item) -> Answer:
        job, waiter, operation = item
        db.execute("SAVEPOINT job")
        try:
            answer: Answer = (waiter, True, job(db))
        except sqlite3.Error as exc:
            db.execute("ROLLBACK TO job")
            answer = (waiter, False, self._error(operation, exc))
        except Exception as exc:  # a bug or bad input in this job only
            db.execute("ROLLBACK TO job")
            answer = (waiter, False, exc)
        db.execute("RELEASE job")
        return answer

    @staticmethod
    def _answer(answers: list[Answer]) -> None:
        """Answer sync callers here, and each event loop once with all of its callers' answers."""
        loops: dict[asyncio.AbstractEventLoop, list[Answer]] = {}
        for answer in answers:
            waiter, ok, value = answer
            if isinstance(waiter, Future):
                waiter.set_result(value) if ok else waiter.set_exception(value)
            else:
                loops.setdefault(waiter.get_loop(), []).append(answer)
        for loop, theirs in loops.items():
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_settle, theirs)

    def _error(self, operation: str, exc: Exception) -> StoreError:
        error = store_error(self._name, operation, exc)
        error.__cause__ = exc
        return error


def _live(waiter: Any) -> bool:
    """Whether the caller still waits (a cancelled sync call is skipped; an async one may have been
    cancelled meanwhile, which its loop sees when answered)."""
    if isinstance(waiter, Future):
        return waiter.set_running_or_notify_cancel()
    return not waiter.cancelled()


def _settle(answers: list[Answer]) -> None:
    for waiter, ok, value in answers:
        if not waiter.done():
            waiter.set_result(value) if ok else waiter.set_exception(value)
