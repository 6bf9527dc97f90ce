"""Writes behind for :class:`~smsgate.stores.postgres.PostgresStore` (see
:meth:`Store.write_behind <smsgate.stores.base.Store.write_behind>`): calls returned before they
were made, carried by the store's next statement, or sent alone by a thread once they have waited
:data:`~smsgate.stores.base.LINGER` seconds, and on close.

A carried write that fails is logged, never raised into its carrier (schema version 4 runs it in a
subtransaction of its own); a carrier that fails as a whole hands its carried calls back, and the
thread tries them once more alone. What fails alone is logged and dropped: its records stay as they
were (a send's *pending* record reads as *unknown*). Logs name the error's type and SQLSTATE, never
a phone number or a value. A store never closed makes what waits as the interpreter exits.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from . import base
from ._pg_statements import Call

__all__ = ["Behind", "behind_failed"]

logger = logging.getLogger("smsgate")


def behind_failed(calls: int, cause: str) -> None:
    """Log that ``calls`` written behind were lost to ``cause`` (an error's type or SQLSTATE)."""
    logger.warning("PostgresStore: a write behind failed (%s): its %d operations were not made", cause, calls)


def _at_exit(behind: weakref.ref[Behind]) -> None:
    alive = behind()
    if alive is not None and alive:
        alive.flush()


class Behind:
    """The calls written behind and not yet made; ``alone`` makes some by themselves (or raises)."""

    def __init__(self, alone: Callable[[list[Call]], Any], linger: float | None = None) -> None:
        self._alone = alone
        self._linger = base.LINGER if linger is None else linger
        self._calls: list[Call] = []
        self._since = 0.0  # when the oldest of them was written (monotonic)
        self._touched = 0.0  # when the last calls were written
        self._ready = threading.Condition(threading.Lock())
        self._idle = True  # the thread waits with no deadline: wake it when calls come
        self._thread: threading.Thread | None = None
        self._closed = False
        self.flushed = 0  # batches the thread (or close) sent alone, for tests and benchmarks
        atexit.register(_at_exit, weakref.ref(self))  # a store never closed: made as the interpreter exits

    def __bool__(self) -> bool:
        return bool(self._calls)

    def add(self, calls: list[Call]) -> None:
        with self._ready:
            self._touched = time.monotonic()
            if not self._calls:
                self._since = self._touched
            self._calls += calls
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smsgate-pg-behind", daemon=True)
                self._thread.start()
            elif self._idle:
                self._ready.notify()

    def take(self) -> tuple[list[Call], float]:
        """The calls waiting (now the caller's to carry) and when the oldest was written."""
        with self._ready:
            calls, self._calls = self._calls, []
            return calls, self._since

    def give_back(self, calls: list[Call], since: float) -> None:
        """``calls`` taken by a carrier that failed: the thread tries them alone (they go first)."""
        if calls:
            with self._ready:
                self._calls[:0] = calls
                self._since = min(self._since, since) if len(self._calls) > len(calls) else since
                if self._idle:
                    self._ready.notify()

    def flush(self) -> None:
        """Make the waiting calls now, alone; a failure is logged, not raised."""
        calls, _ = self.take()
        if calls:
            self.flushed += 1
            try:
                self._alone(calls)
            except Exception as exc:  # nobody waits for these: logged, the records stay as they were
                behind_failed(len(calls), getattr(exc, "sqlstate", None) or type(exc).__name__)

    def close(self) -> None:
        """Stop the thread and make what waits."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def _run(self) -> None:
        """Flush what has waited ``linger``; wait with a deadline while calls come (they need not
        wake this thread), without one only after ``linger`` seconds with none."""
        with self._ready:
            while not self._closed:
                now = time.monotonic()
                due = (self._since if self._calls else self._touched) + self._linger - now
                self._idle = not self._calls and due <= 0
                if self._idle or due > 0:
                    self._ready.wait(None if self._idle else due)
                    continue
                self._ready.release()
                try:
                    self.flush()
                finally:
                    self._ready.acquire()
