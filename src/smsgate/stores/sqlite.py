"""``SQLiteStore``: embedded and durable (WAL, ``synchronous=FULL``); safe across threads and processes.

Every operation runs in a ``BEGIN IMMEDIATE`` transaction, so counters and claims stay atomic when
several processes open the same file. One writer thread per store commits every operation queued
meanwhile at once (group commit, see :mod:`smsgate.stores._writer`): a call returns only after the
commit holding it, and concurrent sends share one fsync. Async twins await the same writer.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .._reports import DeliveryReport, InboundMessage
from ._writer import Job, Writer
from .base import (
    LogRecord,
    Refusal,
    Store,
    Window,
    dump_inbound,
    dump_report,
    gcra,
    inbound_key,
    load_inbound,
    load_report,
    provider_refs,
)

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL);
CREATE TABLE IF NOT EXISTS log (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, message_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log_message ON log (message_id);
CREATE INDEX IF NOT EXISTS log_created ON log (created_at);
CREATE TABLE IF NOT EXISTS log_phone (phone TEXT NOT NULL, id TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (phone, id));
"""

# Migration n brings ``PRAGMA user_version`` from n - 1 to n; never edit a released one.
_MIGRATIONS = (
    # 1: a message's phones indexed once (not per attempt); attempts indexed by the provider's
    # message ids; delivery reports, each phone's latest delivery, inbound messages.
    """
    CREATE TABLE log_message_phone (phone TEXT NOT NULL, message_id TEXT NOT NULL, created_at REAL NOT NULL,
        PRIMARY KEY (phone, message_id)) WITHOUT ROWID;
    INSERT OR IGNORE INTO log_message_phone (phone, message_id, created_at)
        SELECT p.phone, l.message_id, p.created_at FROM log_phone AS p JOIN log AS l ON l.id = p.id;
    DROP TABLE log_phone;
    CREATE TABLE log_ref (provider TEXT NOT NULL, ref TEXT NOT NULL, record_id TEXT NOT NULL,
        message_id TEXT NOT NULL, PRIMARY KEY (provider, ref, record_id)) WITHOUT ROWID;
    CREATE TABLE delivery (message_id TEXT NOT NULL, phone TEXT NOT NULL, status TEXT NOT NULL,
        PRIMARY KEY (message_id, phone)) WITHOUT ROWID;
    CREATE TABLE report (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, message_id TEXT, phone TEXT NOT NULL,
        data TEXT NOT NULL);
    CREATE INDEX report_message ON report (message_id, seq);
    CREATE INDEX report_phone ON report (phone, seq);
    CREATE TABLE inbound (seq INTEGER PRIMARY KEY, key TEXT UNIQUE, sender TEXT NOT NULL, data TEXT NOT NULL);
    CREATE INDEX inbound_sender ON inbound (sender, seq);
    """,
)


_PURGE_EVERY = 1000


def _message_ids(data: str) -> dict[str, str]:
    ids: dict[str, str] = json.loads(data).get("message_ids") or {}
    return ids


class SQLiteStore(Store):
    """A store in one SQLite file (``":memory:"`` for a private, non-durable one)."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time, timeout: float = 10.0) -> None:
        self.path = str(path)
        self.clock = clock
        self.timeout = timeout
        self._writes = 0
        self._pid = os.getpid()
        self._writer = Writer(self._connect, "SQLiteStore")
        self._connect().close()  # open and migrate now: a bad path or file fails here, with sqlite3's error

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("BEGIN IMMEDIATE")
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            statements = (_SCHEMA if version == 0 else "").split(";")
            for number, sql in enumerate(_MIGRATIONS[version:], start=version + 1):
                statements += [*sql.split(";"), f"PRAGMA user_version = {number}"]
            for statement in statements:
                if statement.strip():
                    db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def _call(self, job: Job, operation: str) -> Any:
        return self._here().call(job, operation)

    async def _acall(self, job: Job, operation: str) -> Any:
        return await self._here().acall(job, operation)

    def _here(self) -> Writer:
        """This process's writer (a forked child gets its own thread and connection)."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._writer = Writer(self._connect, "SQLiteStore")
        return self._writer

    @property
    def commits(self) -> int:
        """Transactions committed so far by this process (each holds every operation queued meanwhile)."""
        return self._writer.commits

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}>"

    # -- operations, each a job of the writer: ``db`` is its connection, inside its transaction --

    def _admit(
        self,
        db: sqlite3.Connection,
        blocked: Sequence[str],
        claim: tuple[str, str, float] | None,
        windows: Sequence[Window],
    ) -> Refusal | None:
        for index, value in enumerate(self._get_many(db, blocked)):
            if value is not None:
                return Refusal("blocked", index)
        if claim is not None:
            existing = self._live(db, claim[0])
            if existing is not None:
                return Refusal("claimed", existing)
        full = self._full(db, windows)
        if full is not None:
            return Refusal("full", full)
        if claim is not None:
            self._put(db, *claim)
        for key, _limit, ttl in windows:
            self._incr(db, key, 1, ttl)
        return None

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
        self._writes += 1
        if self._writes % _PURGE_EVERY == 0:  # expired counters and claims would otherwise pile up
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
        stored = self._live(db, key)
        step = gcra(None if stored is None else float(stored), now, interval, burst, max_wait)
        if step is None:
            return None
        wait, tat = step
        self._put(db, key, repr(tat), max(tat - now, interval) + 1.0)
        return wait

    def _log_put(self, db: sqlite3.Connection, record: LogRecord) -> None:
        new = db.execute("SELECT 1 FROM log WHERE id = ?", (record.id,)).fetchone() is None
        db.execute(
            "INSERT INTO log (id, kind, message_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, message_id = excluded.message_id,"
            " status = excluded.status, created_at = excluded.created_at, data = excluded.data",
            (record.id, record.kind, record.message_id, record.status, record.created_at, record.to_json()),
        )
        if new and (
            record.kind != "attempt"
            or db.execute("SELECT 1 FROM log WHERE id = ?", (record.message_id,)).fetchone() is None
        ):  # a message's phones are indexed once, by its first record
            db.executemany(
                "INSERT OR IGNORE INTO log_message_phone (phone, message_id, created_at) VALUES (?, ?, ?)",
                [(phone, record.message_id, record.created_at) for phone in record.phones],
            )
        db.executemany(
            "INSERT OR IGNORE INTO log_ref (provider, ref, record_id, message_id) VALUES (?, ?, ?, ?)",
            [(record.provider, ref, record.id, record.message_id) for ref in provider_refs(record)],
        )

    def _log_query(
        self,
        db: sqlite3.Connection,
        *,
        message_id: str | None = None,
        phone: str | None = None,
        since: float | None = None,
        until: float | None = None,
        status: str | None = None,
        limit: int = 1000,
        newest_first: bool = False,
    ) -> list[LogRecord]:
        sql = (
            "SELECT log.data, CASE WHEN log.kind = 'message' THEN (SELECT json_group_object(d.phone, d.status)"
            " FROM delivery AS d WHERE d.message_id = log.id) END FROM log"
        )
        where: list[str] = []
        args: list[Any] = []
        if phone is not None:
            sql += " JOIN log_message_phone AS p ON p.message_id = log.message_id AND p.phone = ?"
            where.append("EXISTS (SELECT 1 FROM json_each(log.data, '$.phones') WHERE value = ?)")
            args += [phone, phone]
        if message_id is not None:
            where.append("log.message_id = ?")
            args.append(message_id)
        if since is not None:
            where.append("log.created_at >= ?")
            args.append(since)
        if until is not None:
            where.append("log.created_at <= ?")
            args.append(until)
        if status is not None:
            where.append("log.status = ?")
            args.append(status)
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = "DESC" if newest_first else "ASC"
        sql += f" ORDER BY log.created_at {order}, log.rowid {order} LIMIT ?"
        args.append(limit)
        rows = db.execute(sql, args).fetchall()
        records = []
        for data, deliveries in rows:
            record = LogRecord.from_json(data)
            record.deliveries = json.loads(deliveries) if deliveries else {}
            records.append(record)
        return records

    def _record_report(self, db: sqlite3.Connection, report: DeliveryReport) -> bool:
        matched = None
        if report.provider_message_id is not None:
            rows = db.execute(
                "SELECT f.message_id, l.data FROM log_ref AS f JOIN log AS l ON l.id = f.record_id"
                " WHERE f.provider = ? AND f.ref = ? ORDER BY l.rowid DESC",
                (report.provider, report.provider_message_id),
            ).fetchall()
            matched = next(
                (m for m, data in rows if _message_ids(data).get(report.phone) == report.provider_message_id), None
            )
        inserted = db.execute(
            "INSERT OR IGNORE INTO report (key, message_id, phone, data) VALUES (?, ?, ?, ?)",
            (report.key, matched, report.phone, dump_report(report)),
        ).rowcount
        if not inserted:
            return False
        if matched is not None:
            db.execute(
                "INSERT INTO delivery (message_id, phone, status) VALUES (?, ?, ?)"
                " ON CONFLICT (message_id, phone) DO UPDATE SET status = excluded.status",
                (matched, report.phone, report.status.value),
            )
        report.message_id = matched
        return True

    def _reports(
        self, db: sqlite3.Connection, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        where = [c for c, v in (("message_id = ?", message_id), ("phone = ?", phone)) if v is not None]
        args: list[Any] = [v for v in (message_id, phone) if v is not None]
        sql = "SELECT data, message_id FROM report" + (" WHERE " + " AND ".join(where) if where else "")
        rows = db.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit)).fetchall()
        return [load_report(data, message_id) for data, message_id in rows]

    def _record_inbound(self, db: sqlite3.Connection, message: InboundMessage) -> bool:
        return bool(
            db.execute(
                "INSERT OR IGNORE INTO inbound (key, sender, data) VALUES (?, ?, ?)",
                (inbound_key(message), message.sender, dump_inbound(message)),
            ).rowcount
        )

    def _inbound(self, db: sqlite3.Connection, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        sql = "SELECT data FROM inbound" + ("" if phone is None else " WHERE sender = ?") + " ORDER BY seq DESC LIMIT ?"
        rows = db.execute(sql, ([] if phone is None else [phone]) + [limit]).fetchall()
        return [load_inbound(row[0]) for row in rows]

    def _log_prune(self, db: sqlite3.Connection, before: float) -> int:
        """Delete send-log records created before ``before`` (a timestamp); returns how many."""
        db.execute("DELETE FROM log_ref WHERE record_id IN (SELECT id FROM log WHERE created_at < ?)", (before,))
        pruned = db.execute("DELETE FROM log WHERE created_at < ?", (before,)).rowcount
        for table in ("log_message_phone", "delivery"):  # of messages with no record left
            orphan = f"NOT EXISTS (SELECT 1 FROM log WHERE log.message_id = {table}.message_id)"
            db.execute(f"DELETE FROM {table} WHERE {orphan}")
        return pruned

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
        job = lambda db: self._reserve(db, key, interval, burst, max_wait, now)  # noqa: E731
        return self._call(job, "reserve")  # type: ignore[no-any-return]

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return self._call(lambda db: self._admit(db, blocked, claim, windows), "admit")  # type: ignore[no-any-return]

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return self._call(lambda db: self._run(db, calls), "run")  # type: ignore[no-any-return]

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
        self._writer.close()

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
        job = lambda db: self._reserve(db, key, interval, burst, max_wait, now)  # noqa: E731
        return await self._acall(job, "areserve")  # type: ignore[no-any-return]

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        job = lambda db: self._admit(db, blocked, claim, windows)  # noqa: E731
        return await self._acall(job, "aadmit")  # type: ignore[no-any-return]

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return await self._acall(lambda db: self._run(db, calls), "arun")  # type: ignore[no-any-return]

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
