"""``SQLiteStore``: embedded and durable (WAL, ``synchronous=FULL``); safe across threads and processes.

Every operation runs in a ``BEGIN IMMEDIATE`` transaction, so counters and claims stay atomic when
several processes open the same file. Operations queued meanwhile commit together (group commit,
see :mod:`smsgate.stores._writer`): a call returns only after the commit holding it, and
concurrent sends share one fsync. A sync call commits on its caller's thread; async twins await a
thread that commits for them.
Outcomes written ``lazy``, admitting a send and taking a rate token commit without an fsync of
their own (``synchronous=NORMAL``): they survive the process at once, and the machine with the
next fsync, which for a send comes with its *pending* record, before any request leaves.
``start`` does all three in one transaction and one commit (see :mod:`._sqlite_start`).
``durability="process"`` drops every fsync: each commit then survives a crash of the process, not
of the machine.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .._reports import DeliveryReport, InboundMessage
from ._sqlite_admit import Admit, Reserve
from ._sqlite_log import inbound, log_prune, log_put, log_put_many, log_query, record_inbound, record_report, reports
from ._sqlite_schema import connect
from ._sqlite_start import Starting
from ._writer import Job, Writer
from .base import Keep, LogRecord, Refusal, Start, Store, Window
from .base import Reserve as Token

__all__ = ["SQLiteStore"]

_PURGE_EVERY = 1000
_INHERITED: list[Writer] = []  # a forked parent's writers: never closed by the child (their file is the parent's)
_FORKS = [0]  # forks this process is away from its first: a store made before the last one needs its own writer
os.register_at_fork(after_in_child=lambda: _FORKS.__setitem__(0, _FORKS[0] + 1))


@dataclass(slots=True)
class _Write:
    """:meth:`Store.write` as a job of the writer: run together with the other writes queued with it."""

    store: SQLiteStore
    records: Sequence[LogRecord]
    keep: Keep | None
    forget: str | None
    lazy: bool  # committed without an fsync of its own when every job of its commit is lazy

    def __call__(self, db: sqlite3.Connection) -> None:
        self.run_together(db, [self])

    def run_together(self, db: sqlite3.Connection, jobs: list[_Write]) -> list[None]:
        log_put_many(db, [record for job in jobs for record in job.records])
        for job in jobs:
            job.settle(db)
        return [None] * len(jobs)

    def settle(self, db: sqlite3.Connection) -> None:
        """Its ``keep`` and ``forget`` (its records written by whoever runs it)."""
        if self.keep is not None:
            self.store._put(db, *self.keep)
        if self.forget is not None:
            self.store._delete(db, self.forget)


class SQLiteStore(Store):
    """A store in one SQLite file (``":memory:"`` for a private, non-durable one).

    ``durability``: what a returned write survives. ``"machine"`` (the default): a crash of the
    machine or a power loss (an fsync per commit, ``synchronous=FULL``), except the lazy writes
    described above. ``"process"``: a crash of the process, not of the machine (WAL with
    ``synchronous=NORMAL``, no fsync: a power loss may take the last commits).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        durability: Literal["machine", "process"] = "machine",
    ) -> None:
        if durability not in ("machine", "process"):
            raise ValueError(f"durability must be 'machine' or 'process', not {durability!r}")
        self.path = str(path)
        self.clock = clock
        self.timeout = timeout
        self.durability = durability
        self._writes = 0
        self._forks = _FORKS[0]
        self._writer = self._new_writer()
        self._connect().close()  # open and migrate now: a bad path or file fails here, with sqlite3's error

    def _new_writer(self) -> Writer:
        return Writer(self._connect, "SQLiteStore", fsync=self.durability == "machine")

    def _connect(self) -> sqlite3.Connection:
        return connect(self.path, self.timeout)

    def _call(self, job: Job, operation: str) -> Any:
        return self._here().call(job, operation)

    async def _acall(self, job: Job, operation: str) -> Any:
        return await self._here().acall(job, operation)

    def _here(self) -> Writer:
        """This process's writer (a forked child gets its own thread and connection)."""
        if self._forks != _FORKS[0]:
            self._forks = _FORKS[0]
            _INHERITED.append(self._writer)
            self._writer = self._new_writer()
        return self._writer

    @property
    def commits(self) -> int:
        """Transactions committed so far by this process (each holds every operation queued meanwhile)."""
        return self._writer.commits

    def __repr__(self) -> str:
        durability = "" if self.durability == "machine" else f" durability={self.durability!r}"
        return f"<SQLiteStore {self.path!r}{durability}>"

    # -- operations, each a job of the writer: ``db`` is its connection, inside its transaction --

    def _admit(
        self,
        db: sqlite3.Connection,
        blocked: Sequence[str],
        claim: tuple[str, str, float] | None,
        windows: Sequence[Window],
    ) -> Refusal | None:
        return Admit(self, blocked, claim, windows)(db)

    def _run(self, db: sqlite3.Connection, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return [getattr(self, "_" + name)(db, *args) for name, args in calls]

    def _live(self, db: sqlite3.Connection, key: str) -> str | None:
        row = db.execute("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        if row[1] is not None and row[1] <= self.clock():
            db.execute("DELETE FROM kv WHERE key = ?", (key,))
            return None
        return str(row[0])

    def _put(self, db: sqlite3.Connection, key: str, value: str, ttl: float | None) -> None:
        now = self.clock()
        expires = None if ttl is None else now + ttl
        db.execute("INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)", (key, value, expires))
        self._wrote(db, 1, now)

    def _wrote(self, db: sqlite3.Connection, count: int, now: float) -> None:
        """Count ``count`` values written; every ``_PURGE_EVERY``, expired ones are deleted."""
        before, self._writes = self._writes, self._writes + count
        if before // _PURGE_EVERY != self._writes // _PURGE_EVERY:  # expired counters and claims would pile up
            db.execute("DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?", (now,))

    def _get(self, db: sqlite3.Connection, key: str) -> str | None:
        return self._live(db, key)

    def _get_many(self, db: sqlite3.Connection, keys: Sequence[str]) -> list[str | None]:
        return [self._live(db, key) for key in keys]

    def _set(self, db: sqlite3.Connection, key: str, value: str, ttl: float | None = None) -> None:
        self._put(db, key, value, ttl)

    def _add(self, db: sqlite3.Connection, key: str, value: str, ttl: float | None = None) -> str | None:
        existing = self._live(db, key)
        if existing is None:
            self._put(db, key, value, ttl)
        return existing

    def _delete(self, db: sqlite3.Connection, key: str) -> None:
        db.execute("DELETE FROM kv WHERE key = ?", (key,))

    def _incr(self, db: sqlite3.Connection, key: str, amount: int = 1, ttl: float | None = None) -> int:
        current = self._live(db, key)
        if current is None:
            self._put(db, key, str(amount), ttl)
            return amount
        value = int(current) + amount
        db.execute("UPDATE kv SET value = ? WHERE key = ?", (str(value), key))
        return value

    def _full(self, db: sqlite3.Connection, windows: Sequence[Window]) -> int | None:
        for index, (key, limit, _ttl) in enumerate(windows):
            if int(self._live(db, key) or 0) >= limit:
                return index
        return None

    def _hit(self, db: sqlite3.Connection, windows: Sequence[Window]) -> int | None:
        full = self._full(db, windows)
        if full is None:
            for key, _limit, ttl in windows:
                self._incr(db, key, 1, ttl)
        return full

    def _reserve(
        self, db: sqlite3.Connection, key: str, interval: float, burst: int, max_wait: float, now: float
    ) -> float | None:
        return Reserve(self, key, interval, burst, max_wait, now)(db)

    _log_put = staticmethod(log_put)
    _log_query = staticmethod(log_query)
    _record_report = staticmethod(record_report)
    _reports = staticmethod(reports)
    _record_inbound = staticmethod(record_inbound)
    _inbound = staticmethod(inbound)
    _log_prune = staticmethod(log_prune)

    # -- the public twins: each queues its operation for the writer and waits for its commit ----

    def get(self, key: str) -> str | None:
        return self._call(lambda db: self._get(db, key), "get")  # type: ignore[no-any-return]

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return self._call(lambda db: self._get_many(db, keys), "get_many")  # type: ignore[no-any-return]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._call(lambda db: self._set(db, key, value, ttl), "set")

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self._call(lambda db: self._add(db, key, value, ttl), "add")  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        self._call(lambda db: self._delete(db, key), "delete")

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(self._call(lambda db: self._incr(db, key, amount, ttl), "incr"))

    def hit(self, windows: Sequence[Window]) -> int | None:
        return self._call(lambda db: self._hit(db, windows), "hit")  # type: ignore[no-any-return]

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        return self._call(Reserve(self, key, interval, burst, max_wait, now), "reserve")  # type: ignore[no-any-return]

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return self._call(Admit(self, blocked, claim, windows), "admit")  # type: ignore[no-any-return]

    def _starting(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        tokens: Sequence[Token],
        records: Sequence[LogRecord],
        keep: Keep | None,
    ) -> Starting:
        admit = Admit(self, blocked, claim, windows)
        return Starting(self, admit, [Reserve(self, *token) for token in tokens], records, keep)

    def start(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Token] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        """One transaction, one commit (see :mod:`smsgate.stores._sqlite_start`)."""
        return self._call(self._starting(blocked, claim, windows, reserves, records, keep), "start")  # type: ignore[no-any-return]

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return self._call(lambda db: self._run(db, calls), "run")  # type: ignore[no-any-return]

    def write(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: Keep | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        self._call(_Write(self, records, keep, forget, lazy), "write")

    def write_behind(
        self, records: Sequence[LogRecord] = (), *, keep: Keep | None = None, forget: str | None = None
    ) -> None:
        """Returns at once: the write is carried by the next commit, or committed within ``LINGER``
        seconds (see :mod:`smsgate.stores._carried`)."""
        self._here().behind(_Write(self, records, keep, forget, True), "write_behind")

    def log_put(self, record: LogRecord) -> None:
        self._call(lambda db: self._log_put(db, record), "log_put")

    def log_query(self, **filters: Any) -> list[LogRecord]:
        return self._call(lambda db: self._log_query(db, **filters), "log_query")  # type: ignore[no-any-return]

    def log_prune(self, before: float) -> int:
        """Delete send-log records created before ``before`` (a timestamp); returns how many."""
        return int(self._call(lambda db: self._log_prune(db, before), "log_prune"))

    def record_report(self, report: DeliveryReport) -> bool:
        return bool(self._call(lambda db: self._record_report(db, report), "record_report"))

    def reports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        job = lambda db: self._reports(db, message_id=message_id, phone=phone, limit=limit)  # noqa: E731
        return self._call(job, "reports")  # type: ignore[no-any-return]

    def record_inbound(self, message: InboundMessage) -> bool:
        return bool(self._call(lambda db: self._record_inbound(db, message), "record_inbound"))

    def inbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        return self._call(lambda db: self._inbound(db, phone=phone, limit=limit), "inbound")  # type: ignore[no-any-return]

    def close(self) -> None:
        self._here().close()

    async def aget(self, key: str) -> str | None:
        return await self._acall(lambda db: self._get(db, key), "aget")  # type: ignore[no-any-return]

    async def aget_many(self, keys: Sequence[str]) -> list[str | None]:
        return await self._acall(lambda db: self._get_many(db, keys), "aget_many")  # type: ignore[no-any-return]

    async def aset(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._acall(lambda db: self._set(db, key, value, ttl), "aset")

    async def aadd(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return await self._acall(lambda db: self._add(db, key, value, ttl), "aadd")  # type: ignore[no-any-return]

    async def adelete(self, key: str) -> None:
        await self._acall(lambda db: self._delete(db, key), "adelete")

    async def aincr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(await self._acall(lambda db: self._incr(db, key, amount, ttl), "aincr"))

    async def ahit(self, windows: Sequence[Window]) -> int | None:
        return await self._acall(lambda db: self._hit(db, windows), "ahit")  # type: ignore[no-any-return]

    async def areserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        return await self._acall(Reserve(self, key, interval, burst, max_wait, now), "areserve")  # type: ignore[no-any-return]

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return await self._acall(Admit(self, blocked, claim, windows), "aadmit")  # type: ignore[no-any-return]

    async def astart(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Token] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        job = self._starting(blocked, claim, windows, reserves, records, keep)
        return await self._acall(job, "astart")  # type: ignore[no-any-return]

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return await self._acall(lambda db: self._run(db, calls), "arun")  # type: ignore[no-any-return]

    async def awrite(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: Keep | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        await self._acall(_Write(self, records, keep, forget, lazy), "awrite")

    async def alog_put(self, record: LogRecord) -> None:
        await self._acall(lambda db: self._log_put(db, record), "alog_put")

    async def alog_query(self, **filters: Any) -> list[LogRecord]:
        return await self._acall(lambda db: self._log_query(db, **filters), "alog_query")  # type: ignore[no-any-return]

    async def arecord_report(self, report: DeliveryReport) -> bool:
        return bool(await self._acall(lambda db: self._record_report(db, report), "arecord_report"))

    async def areports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        job = lambda db: self._reports(db, message_id=message_id, phone=phone, limit=limit)  # noqa: E731
        return await self._acall(job, "areports")  # type: ignore[no-any-return]

    async def arecord_inbound(self, message: InboundMessage) -> bool:
        return bool(await self._acall(lambda db: self._record_inbound(db, message), "arecord_inbound"))

    async def ainbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        job = lambda db: self._inbound(db, phone=phone, limit=limit)  # noqa: E731
        return await self._acall(job, "ainbound")  # type: ignore[no-any-return]
