"""Group commit for SQLite: whoever holds the connection commits every queued job at once.

A job is a function of the connection. Callers queue their jobs; then one of them at a time takes
every job queued so far, runs them in one ``BEGIN IMMEDIATE`` transaction (each in a savepoint, so
a failing job undoes only its own changes; a job alone needs none), commits once (one fsync for
the lot), then answers each caller: a caller learns its write is done only after the commit holding
it returned. A sync caller commits on its own thread (no thread hop): finding the connection free
and nothing queued, it commits its job at once (no queue, no future); else it queues it, takes its
turn on the connection, and finds its job either committed by the caller before it or still
queued, for it to commit with the others. Async callers queue for a thread that commits for them while there is
work, and each event loop is woken once per commit with all of its callers' answers; without an
fsync to wait for (``fsync=False``), a commit is brief work for the CPU, so async callers commit on
their own event loop instead, once per turn of it, with no thread. Jobs of one
kind that can run together (a :class:`Merged` job, such as the send log's writes) run as one, with
a few statements for the lot; should that fail, each runs alone.

Durability: a *lazy* job (``lazy = True`` on the job) is committed in a round of its own without
an fsync (``synchronous=NORMAL``); the others with one (``synchronous=FULL``), unless the writer
was made with ``fsync=False``: then every commit is ``NORMAL`` (it survives a crash of the
process, not of the machine) and a round is one commit.

Carried jobs (:meth:`Writer.behind`, lazy writes nobody waits for) run first in the next commit,
whoever makes it, with that commit's durability (see :mod:`._carried`).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from .._errors import StoreError
from ._carried import Carrier
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


IDLE = 1.0  # seconds without async work before the thread exits
_WAKE: Item = (lambda db: None, None, "close")  # queued by close(): the thread looks again at once


class Writer(Carrier):
    """The connection behind one :class:`~smsgate.stores.SQLiteStore`, and its committing thread."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], name: str, *, fsync: bool = True) -> None:
        self._connect = connect
        self._name = name
        self._fsync = fsync
        self._queue: queue.SimpleQueue[Item] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards the fields below
        self._running = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._turn = threading.Lock()  # held by whoever uses the connection
        self._db: sqlite3.Connection | None = None
        self._synchronous = "FULL"  # as the connection is opened
        self._flushing: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()  # a commit is due on each
        self.commits = 0  # transactions committed, for tests and benchmarks
        super().__init__()

    def _submit(self, item: Item, thread: bool) -> None:
        with self._lock:
            if self._closed:
                raise StoreError(f"{self._name} is closed", store=self._name, operation=item[2])
            self._queue.put(item)
            if thread and not self._running:
                self._running = True
                self._thread = threading.Thread(target=self._run, name="smsgate-sqlite", daemon=True)
                self._thread.start()

    def call(self, job: Job, operation: str) -> Any:
        if self._turn.acquire(blocking=False):  # the connection is free
            try:
                if self._queue.empty():  # and nobody waits for it: commit this job alone, here
                    return self._now(job, operation)
            finally:
                self._turn.release()
        future: Future[Any] = Future()
        self._submit((job, future, operation), thread=False)
        with self._turn:
            if not future.done():  # not committed by the caller before: commit it with the others
                self._round(self._drain([]))
        return future.result()

    async def acall(self, job: Job, operation: str) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._submit((job, future, operation), thread=self._fsync)
        if not self._fsync and loop not in self._flushing:  # committed on this loop, after its other callbacks
            self._flushing.add(loop)
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._flushing.discard(loop)
        with self._turn:
            self._round(self._drain([]))

    def close(self) -> None:
        """Refuse new work; work already queued is still committed, and the file released, on return."""
        with self._lock:
            self._closed = True
            thread = self._thread if self._running else None
            self._queue.put(_WAKE)
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self._stop_lingering()
        with self._turn:
            self._round(self._drain([]))
            if self._db is not None:
                self._db.close()
                self._db = None

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=0 if self._closed else IDLE)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            with self._turn:
                self._round(self._drain([first]))

    def _drain(self, batch: list[Item]) -> list[Item]:
        """``batch`` and every job queued now; a wake-up for the thread is left for it."""
        woken = False
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _WAKE:
                woken = True
            else:
                batch.append(item)
        if woken and threading.current_thread() is not self._thread:
            self._queue.put(_WAKE)
        return [item for item in batch if item is not _WAKE]

    def _round(self, batch: list[Item]) -> None:
        """Commit ``batch`` (holding the turn): the carried jobs and lazy ones first, answered without
        waiting for the others' fsync."""
        carried = self._take()
        if not batch and not carried:
            return
        try:
            db = self._open()
        except Exception as exc:  # fail what waits; the next call tries again
            self._answer([(waiter, False, self._error(operation, exc)) for _job, waiter, operation in batch])
            self._lost(carried, exc)
            return
        if not self._fsync:
            self._commit(db, batch, carried)
            return
        lazy = [item for item in batch if getattr(item[0], "lazy", False)]
        full = [item for item in batch if not getattr(item[0], "lazy", False)]
        parts = [part for part in (lazy, full) if part] or [[]]
        for index, part in enumerate(parts):  # the carried jobs first, in the first commit
            self._commit(db, part, carried if index == 0 else [])

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = self._connect()
            self._synchronous = "FULL"
        return self._db

    def _now(self, job: Job, operation: str) -> Any:
        """Commit ``job`` alone (holding the turn, nothing queued): what a batch of one does, with no
        future and no queue."""
        if self._closed:
            raise StoreError(f"{self._name} is closed", store=self._name, operation=operation)
        carried = self._take()
        try:
            db = self._open()
        except Exception as exc:
            self._lost(carried, exc)
            raise self._error(operation, exc) from exc
        phase = "begin"
        try:
            self._durability(db, getattr(job, "lazy", False))
            db.execute("BEGIN IMMEDIATE")
            phase = "jobs"
            result = self._with(db, carried, job) if carried else job(db)
            phase = "commit"
            db.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            self._recover(db, carried, phase, alone=False)
            if isinstance(exc, sqlite3.Error):
                raise self._error(operation, exc) from exc
            raise  # a bug or bad input in the job: raised as it is
        self.commits += 1
        return result

    def _commit(self, db: sqlite3.Connection, jobs: list[Item], carried: list[Job]) -> None:
        live = [item for item in jobs if _live(item[1])]
        if not live and not carried:
            return
        kinds: dict[type, list[Item]] = {}
        alone: list[Item] = []
        for item in live:
            if hasattr(item[0], "run_together"):
                kinds.setdefault(type(item[0]), []).append(item)
            else:
                alone.append(item)
        answers: list[Answer] = []
        phase = "begin"
        try:
            if live:  # carried jobs alone keep the connection's durability as it is
                self._durability(db, all(getattr(job, "lazy", False) for job, _, _ in live))
            db.execute("BEGIN IMMEDIATE")
            phase = "jobs"
            if carried:
                self._carry(db, carried)
            if len(live) == 1:  # no savepoint: should the job fail, the transaction is undone
                job, waiter, _ = live[0]
                answers.append((waiter, True, job(db)))
            else:
                for items in kinds.values():
                    if len(items) > 1 and self._together(db, items, answers):
                        continue
                    alone += items
                answers += [self._alone(db, item) for item in alone]
            phase = "commit"
            db.execute("COMMIT")
        except Exception as exc:  # BEGIN or COMMIT failed (locked past the timeout, I/O error), or the lone job
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            if len(live) == 1 and not answers and not isinstance(exc, sqlite3.Error):
                self._answer([(live[0][1], False, exc)])  # a bug or bad input in that job: raised as it is
            else:
                self._answer([(waiter, False, self._error(operation, exc)) for _job, waiter, operation in live])
            self._recover(db, carried, phase, alone=not live)
            return
        self.commits += 1
        self._answer(answers)

    def _durability(self, db: sqlite3.Connection, lazy: bool) -> None:
        """A commit of lazy jobs only skips its fsync (``synchronous=NORMAL``): the next full commit's
        fsync of the WAL makes it durable too; until then it survives the process, not the machine."""
        wanted = "FULL" if self._fsync and not lazy else "NORMAL"
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
        here = _running_loop()
        for loop, theirs in loops.items():
            if loop is here:
                _settle(theirs)
                continue
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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _settle(answers: list[Answer]) -> None:
    for waiter, ok, value in answers:
        if not waiter.done():
            waiter.set_result(value) if ok else waiter.set_exception(value)
