"""Starting sends in the SQLite store: :meth:`~smsgate.stores.Store.start` as one job of its writer
(see :mod:`smsgate.stores._writer`), so one transaction and one commit a send. Starts queued
together run as one: one read of every key they touch, one write of the values they leave, one
write of their records, each judged in turn as it would be alone.

Not lazy when it has records or a value to keep: they are the *pending* records of requests about
to leave, durable (per the store's ``durability``) when the call returns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ._sqlite_admit import Admit, Keeper, Reserve, Value, read, write
from ._sqlite_log import log_put_many
from .base import Keep, LogRecord, Start

__all__ = ["Carried", "Starting"]


class Carried(Protocol):
    """A write made behind that a start can run with its own (the store's ``_Write``)."""

    records: Sequence[LogRecord]

    def settle(self, db: sqlite3.Connection) -> None: ...


@dataclass(slots=True)
class Starting:
    """One send's start: its admission, then its rate tokens, then its records and ``keep``."""

    store: Keeper
    admit: Admit
    reserves: Sequence[Reserve]
    records: Sequence[LogRecord]
    keep: Keep | None
    lazy: bool = field(init=False)

    def __post_init__(self) -> None:
        self.lazy = not self.records and self.keep is None

    def __call__(self, db: sqlite3.Connection) -> Start:
        return self.run_together(db, [self])[0]

    def run_together(self, db: sqlite3.Connection, jobs: list[Starting]) -> list[Start]:
        return self._run(db, jobs, [])

    def carrying(self, db: sqlite3.Connection, carried: Sequence[Carried]) -> Start:
        """This start after writes made behind (see :mod:`._carried`): their keys set first, their
        records written in the same statement as its own."""
        for job in carried:
            job.settle(db)
        return self._run(db, [self], [record for job in carried for record in job.records])[0]

    def _run(self, db: sqlite3.Connection, jobs: list[Starting], records: list[LogRecord]) -> list[Start]:
        now = self.store.clock()
        keys = {key for job in jobs for key in (*job.admit.touched(), *(reserve.key for reserve in job.reserves))}
        live = read(db, keys, now)
        kept: dict[str, Value] = {}
        answers = [job._start(live, kept, records, now) for job in jobs]
        write(db, self.store, kept, now)
        if records:
            log_put_many(db, records)
        return answers

    def _start(self, live: dict[str, Value], kept: dict[str, Value], records: list[LogRecord], now: float) -> Start:
        refusal = self.admit.judge(live, kept, now)
        if refusal is not None:
            return Start(refusal, [], False)
        waits = [reserve.take(live, kept, now) for reserve in self.reserves]
        if None in waits:
            return Start(None, waits, False)
        records += self.records
        if self.keep is not None:
            key, value, ttl = self.keep
            live[key] = kept[key] = (value, now + ttl)
        return Start(None, waits, True)
