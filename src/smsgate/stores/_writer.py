"""Group commit for SQLite: one thread owns the connection and commits every queued job at once.

A job is a function of the connection. The writer takes every job queued while it was busy, runs
them in one ``BEGIN IMMEDIATE`` transaction (each in a savepoint, so a failing job undoes only its
own changes), commits once (one fsync for the lot), then answers each caller: a caller learns its
write is done only after the commit holding it returned. Sync callers wait on a
:class:`~concurrent.futures.Future`; async callers await it from their own loop, with no thread
hop of their own. The thread exits after a second with nothing to do (closing its connection)
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
from typing import Any

from .._errors import StoreError
from .base import store_error

__all__ = ["Job", "Writer"]

Job = Callable[[sqlite3.Connection], Any]
Item = tuple[Job, "Future[Any]", str]
IDLE = 1.0  # seconds without work before the thread exits


class Writer:
    """The thread behind one :class:`~smsgate.stores.SQLiteStore`, running while there is work."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], name: str) -> None:
        self._connect = connect
        self._name = name
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self._closed = False
        self.commits = 0  # transactions committed, for tests and benchmarks

    def submit(self, job: Job, operation: str) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise StoreError(f"{self._name} is closed", store=self._name, operation=operation)
            self._queue.put((job, future, operation))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="smsgate-sqlite", daemon=True).start()
        return future

    def call(self, job: Job, operation: str) -> Any:
        return self.submit(job, operation).result()

    async def acall(self, job: Job, operation: str) -> Any:
        return await asyncio.wrap_future(self.submit(job, operation))

    def close(self) -> None:
        """Refuse new work; work already queued is still committed."""
        with self._lock:
            self._closed = True

    def _run(self) -> None:
        try:
            db = self._connect()
        except Exception as exc:  # fail what waits; the next call tries again
            with self._lock:
                self._running = False
                batch = self._drain([])
            for _job, future, operation in batch:
                if future.set_running_or_notify_cancel():
                    future.set_exception(self._error(operation, exc))
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
                self._commit(db, self._drain([first]))
        finally:
            db.close()

    def _drain(self, batch: list[Item]) -> list[Item]:
        while True:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                return batch

    def _commit(self, db: sqlite3.Connection, jobs: list[Item]) -> None:
        live = [job for job in jobs if job[1].set_running_or_notify_cancel()]
        answers: list[tuple[Future[Any], bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for job, future, operation in live:
                db.execute("SAVEPOINT job")
                try:
                    answers.append((future, True, job(db)))
                except sqlite3.Error as exc:
                    db.execute("ROLLBACK TO job")
                    answers.append((future, False, self._error(operation, exc)))
                except Exception as exc:  # a bug or bad input in this job only
                    db.execute("ROLLBACK TO job")
                    answers.append((future, False, exc))
                db.execute("RELEASE job")
            db.execute("COMMIT")
        except Exception as exc:  # BEGIN or COMMIT failed (locked past the timeout, I/O error): nothing kept
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            for _job, future, operation in live:
                future.set_exception(self._error(operation, exc))
            return
        self.commits += 1
        for future, ok, answer in answers:
            if ok:
                future.set_result(answer)
            else:
                future.set_exception(answer)

    def _error(self, operation: str, exc: Exception) -> StoreError:
        error = store_error(self._name, operation, exc)
        error.__cause__ = exc
        return error
