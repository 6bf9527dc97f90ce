"""Writes made behind: lazy jobs nobody waits for, carried by the SQLite writer's next commit.

:meth:`Carrier.behind` queues a job and returns at once. Whoever commits next (a sync caller, an
async round, the writer's thread) runs the carried jobs first in its transaction, so they cost that
commit a few statements and no commit of their own: a sequential sender pays one commit a send.
Nobody committing within :data:`~smsgate.stores.base.LINGER` seconds, a thread commits them; so
does :meth:`~Writer.close`, and the interpreter's exit.

A carried job runs with the durability of the commit that carries it (a send's start: durable),
never worse than lazy. Its failure is the carried job's alone: logged, never raised into the
carrier's operation; the carrier's failure undoes the carried jobs with it, which are then committed
on their own.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from typing import Any

from .._errors import StoreError
from .base import LINGER

__all__ = ["Carrier"]

logger = logging.getLogger("smsgate")
IDLE = 1.0  # seconds with nothing carried before the lingering thread exits
_NONE: list[Any] = []  # taken when nothing is carried (never appended to)
_LIVE: weakref.WeakSet[Carrier] = weakref.WeakSet()  # carriers that may hold jobs at the interpreter's exit


class Carrier:
    """The part of :class:`~smsgate.stores._writer.Writer` that carries jobs made behind."""

    _name: str
    _lock: threading.Lock
    _turn: threading.Lock
    _closed: bool
    commits: int

    def __init__(self) -> None:
        self._carried: list[Any] = []  # jobs made behind, oldest first
        self._since = 0.0  # when the oldest of them was queued (time.monotonic)
        self._lingering: threading.Thread | None = None
        self._stop = threading.Event()

    def _round(self, batch: list[Any]) -> None:
        raise NotImplementedError

    def behind(self, job: Any, operation: str) -> None:
        """Queue ``job`` for the next commit (or one within ``LINGER`` seconds) and return at once."""
        with self._lock:
            if self._closed:
                raise StoreError(f"{self._name} is closed", store=self._name, operation=operation)
            if not self._carried:
                self._since = time.monotonic()
            self._carried.append(job)
            if self._lingering is None:
                _LIVE.add(self)
                self._lingering = threading.Thread(target=self._linger, name="smsgate-sqlite-linger", daemon=True)
                self._lingering.start()

    def flush(self) -> None:
        """Commit the carried jobs now (a no-op when there are none)."""
        if self._carried:
            with self._turn:
                self._round([])

    def _take(self) -> list[Any]:
        """The carried jobs, for the transaction about to begin (the caller holds the turn)."""
        if not self._carried:
            return _NONE
        with self._lock:
            carried, self._carried = self._carried, []
        return carried

    def _linger(self) -> None:
        """Commit carried jobs nobody carried within ``LINGER`` seconds; exit after ``IDLE`` without any."""
        idle = time.monotonic()
        while True:
            with self._lock:
                now = time.monotonic()
                idle = now if self._carried else idle
                if self._closed or (not self._carried and now - idle >= IDLE):
                    self._lingering = None
                    return
                due = self._since + LINGER if self._carried else now + LINGER
            if due > now:
                self._stop.wait(due - now)
                continue
            if self._turn.acquire(timeout=LINGER):  # else a commit is under way: it carries them
                try:
                    self._round([])
                except Exception as exc:  # a bug: logged, and the thread goes on
                    logger.warning("%s: committing writes made behind failed: %s", self._name, type(exc).__name__)
                finally:
                    self._turn.release()

    def _stop_lingering(self) -> None:
        """Wake the lingering thread (the writer is closed: it exits) and wait for it."""
        self._stop.set()
        thread = self._lingering
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _carry(self, db: sqlite3.Connection, carried: list[Any]) -> None:
        """Run ``carried`` first in the transaction just begun, as one when they can; should that
        fail, begin again and run each in a savepoint: a failing one is logged and undone alone."""
        try:
            _run(db, carried)
        except Exception:
            db.execute("ROLLBACK")
            db.execute("BEGIN IMMEDIATE")
            for job in carried:
                db.execute("SAVEPOINT carried")
                try:
                    job(db)
                except Exception as exc:
                    db.execute("ROLLBACK TO carried")
                    self._lost([job], exc)
                db.execute("RELEASE carried")

    def _with(self, db: sqlite3.Connection, carried: list[Any], job: Any) -> Any:
        """``job`` run after ``carried``, with them when it can (``carrying``: a start writes their
        records in its own statement); should that fail, they run first on their own."""
        carrying = getattr(job, "carrying", None)
        if carrying is not None and all(hasattr(write, "settle") for write in carried):
            try:
                return carrying(db, carried)
            except Exception:  # theirs or the job's: they run apart, so that only the one at fault fails
                db.execute("ROLLBACK")
                db.execute("BEGIN IMMEDIATE")
        self._carry(db, carried)
        return job(db)

    def _recover(self, db: sqlite3.Connection, carried: list[Any], failed: str, alone: bool) -> None:
        """After a rolled-back transaction that held ``carried``: committed on their own when the
        carrier's jobs failed (``failed == "jobs"``, not ``alone``), else lost (logged)."""
        if not carried:
            return
        if failed != "jobs" or alone:
            self._lost(carried, None)
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            self._carry(db, carried)
            db.execute("COMMIT")
        except Exception as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            self._lost(carried, exc)
            return
        self.commits += 1

    def _lost(self, jobs: list[Any], exc: BaseException | None) -> None:
        """Log writes made behind that failed: what they wrote stays as it was (a send's record
        *pending*, which reads as unknown). SQLite's message names no values; others, their type."""
        why = str(exc) if isinstance(exc, sqlite3.Error) else type(exc).__name__ if exc else "their commit failed"
        logger.warning("%s: %d write(s) made behind failed, left as they were: %s", self._name, len(jobs), why)


def _run(db: sqlite3.Connection, jobs: list[Any]) -> None:
    kind = type(jobs[0])
    if len(jobs) > 1 and hasattr(jobs[0], "run_together") and all(type(job) is kind for job in jobs):
        jobs[0].run_together(db, jobs)
        return
    for job in jobs:
        job(db)


def _flush_all() -> None:
    for carrier in list(_LIVE):
        try:
            carrier.flush()
        except Exception as exc:  # the interpreter is exiting: log, never raise
            logger.warning("%s: writes made behind not committed at exit: %s", carrier._name, type(exc).__name__)


atexit.register(_flush_all)
os.register_at_fork(after_in_child=_LIVE.clear)  # a parent's carried jobs are the parent's to commit
