"""Admitting sends and taking rate tokens in the SQLite store: jobs of its writer (see
:mod:`smsgate.stores._writer`) that run together with the others of their kind queued with them,
one read of every key and one write for the lot, each judged in turn as it would be alone.

Both commit without an fsync of their own (``lazy``): the send's *pending* record, written before
any of its requests leaves, makes them durable with it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

import orjson

from ._gcra import gcra
from .base import Keep, Refusal, Window

__all__ = ["Admit", "Keeper", "Reserve", "Value", "read", "write"]

Value = tuple[str, "float | None"]  # a value and when it expires


class Keeper(Protocol):
    """What the jobs need of their store: its clock, and to count the values written."""

    clock: Callable[[], float]

    def _wrote(self, db: sqlite3.Connection, count: int, now: float) -> None: ...


def read(db: sqlite3.Connection, keys: Collection[str], now: float) -> dict[str, Value]:
    """The live (unexpired) values of ``keys``, in one statement (none for no keys)."""
    if not keys:
        return {}
    asked = orjson.dumps(list(keys)).decode()
    rows = db.execute("SELECT key, value, expires FROM kv WHERE key IN (SELECT value FROM json_each(?))", (asked,))
    return {key: (value, expires) for key, value, expires in rows if expires is None or expires > now}


def write(db: sqlite3.Connection, store: Keeper, kept: dict[str, Value], now: float) -> None:
    if kept:
        rows = [(key, value, expires) for key, (value, expires) in kept.items()]
        db.executemany("INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)", rows)
        store._wrote(db, len(kept), now)


@dataclass(slots=True)
class Admit:
    """:meth:`~smsgate.stores.Store.admit`: no ``blocked`` key set, the ``claim`` free, every window
    below its limit; then the claim is kept and every window counted."""

    store: Keeper
    blocked: Sequence[str]
    claim: Keep | None
    windows: Sequence[Window]
    lazy: bool = True

    def __call__(self, db: sqlite3.Connection) -> Refusal | None:
        return self.run_together(db, [self])[0]

    def run_together(self, db: sqlite3.Connection, jobs: list[Admit]) -> list[Refusal | None]:
        now = self.store.clock()
        live = read(db, {key for job in jobs for key in job.touched()}, now)
        kept: dict[str, Value] = {}
        answers = [job.judge(live, kept, now) for job in jobs]
        write(db, self.store, kept, now)
        return answers

    def touched(self) -> list[str]:
        return [*self.blocked, *([self.claim[0]] if self.claim else []), *[key for key, _, _ in self.windows]]

    def judge(self, live: dict[str, Value], kept: dict[str, Value], now: float) -> Refusal | None:
        """This admission against ``live`` (the values as the jobs before it left them)."""
        for index, key in enumerate(self.blocked):
            if key in live:
                return Refusal("blocked", index)
        if self.claim is not None and self.claim[0] in live:
            return Refusal("claimed", live[self.claim[0]][0])
        for index, (key, limit, _ttl) in enumerate(self.windows):
            if key in live and int(live[key][0]) >= limit:
                return Refusal("full", index)
        if self.claim is not None:
            key, value, ttl = self.claim
            live[key] = kept[key] = (value, now + ttl)
        for key, _limit, ttl in self.windows:
            count, expires = live.get(key) or ("0", None if ttl is None else now + ttl)
            live[key] = kept[key] = (str(int(count) + 1), expires)
        return None


@dataclass(slots=True)
class Reserve:
    """:meth:`~smsgate.stores.Store.reserve`: one token of the cell-rate bucket under ``key``."""

    store: Keeper
    key: str
    interval: float
    burst: int
    max_wait: float
    now: float
    lazy: bool = True

    def __call__(self, db: sqlite3.Connection) -> float | None:
        return self.run_together(db, [self])[0]

    def run_together(self, db: sqlite3.Connection, jobs: list[Reserve]) -> list[float | None]:
        clock = self.store.clock()
        live = read(db, {job.key for job in jobs}, clock)
        kept: dict[str, Value] = {}
        answers = [job.take(live, kept, clock) for job in jobs]
        write(db, self.store, kept, clock)
        return answers

    def take(self, live: dict[str, Value], kept: dict[str, Value], clock: float) -> float | None:
        stored = live.get(self.key)
        step = gcra(None if stored is None else float(stored[0]), self.now, self.interval, self.burst, self.max_wait)
        if step is None:
            return None
        wait, tat = step
        live[self.key] = kept[self.key] = (repr(tat), clock + max(tat - self.now, self.interval) + 1.0)
        return wait
