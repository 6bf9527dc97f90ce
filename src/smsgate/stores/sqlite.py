"""``SQLiteStore``: embedded and durable (WAL, ``synchronous=FULL``); safe across threads and processes.

Each operation is one ``BEGIN IMMEDIATE`` transaction, so counters and claims stay atomic when
several processes open the same file. Async twins run in a worker thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .base import LogRecord, Refusal, Store, Window, gcra

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


_PURGE_EVERY = 1000


class SQLiteStore(Store):
    """A store in one SQLite file (``":memory:"`` for a private, non-durable one)."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time, timeout: float = 10.0) -> None:
        self.path = str(path)
        self.clock = clock
        self._lock = threading.RLock()
        self._writes = 0
        self._db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)

    def __repr__(self) -> str:
        return f"<SQLiteStore {self.path!r}>"

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db.in_transaction:  # nested in admit() or run(): part of the outer transaction
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        with self._tx():
            return super().admit(blocked, claim, windows)

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        with self._tx():
            return super().run(calls)

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

    def get(self, key: str) -> str | None:
        with self._tx() as db:
            return self._live(db, key)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        with self._tx() as db:
            return [self._live(db, key) for key in keys]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._tx() as db:
            self._put(db, key, value, ttl)

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        with self._tx() as db:
            existing = self._live(db, key)
            if existing is None:
                self._put(db, key, value, ttl)
            return existing

    def delete(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM kv WHERE key = ?", (key,))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        with self._tx() as db:
            return self._incr(db, key, amount, ttl)

    def _incr(self, db: sqlite3.Connection, key: str, amount: int, ttl: float | None) -> int:
        current = self._live(db, key)
        if current is None:
            self._put(db, key, str(amount), ttl)
            return amount
        value = int(current) + amount
        db.execute("UPDATE kv SET value = ? WHERE key = ?", (str(value), key))
        return value

    def hit(self, windows: Sequence[Window]) -> int | None:
        with self._tx() as db:
            for index, (key, limit, _ttl) in enumerate(windows):
                if int(self._live(db, key) or 0) >= limit:
                    return index
            for key, _limit, ttl in windows:
                self._incr(db, key, 1, ttl)
            return None

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        with self._tx() as db:
            stored = self._live(db, key)
            step = gcra(None if stored is None else float(stored), now, interval, burst, max_wait)
            if step is None:
                return None
            wait, tat = step
            self._put(db, key, repr(tat), max(tat - now, interval) + 1.0)
            return wait

    def log_put(self, record: LogRecord) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO log (id, kind, message_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
                (record.id, record.kind, record.message_id, record.status, record.created_at, record.to_json()),
            )
            db.executemany(
                "INSERT OR IGNORE INTO log_phone (phone, id, created_at) VALUES (?, ?, ?)",
                [(phone, record.id, record.created_at) for phone in record.phones],
            )

    def log_query(
        self,
        *,
        message_id: str | None = None,
        phone: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int = 1000,
    ) -> list[LogRecord]:
        sql = "SELECT log.data FROM log"
        where: list[str] = []
        args: list[Any] = []
        if phone is not None:
            sql += " JOIN log_phone ON log_phone.id = log.id"
            where.append("log_phone.phone = ?")
            args.append(phone)
        if message_id is not None:
            where.append("log.message_id = ?")
            args.append(message_id)
        if since is not None:
            where.append("log.created_at >= ?")
            args.append(since)
        if until is not None:
            where.append("log.created_at <= ?")
            args.append(until)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY log.created_at, log.rowid LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [LogRecord.from_json(row[0]) for row in rows]

    def log_prune(self, before: float) -> int:
        """Delete send-log records created before ``before`` (a timestamp); returns how many."""
        with self._tx() as db:
            db.execute("DELETE FROM log_phone WHERE created_at < ?", (before,))
            return db.execute("DELETE FROM log WHERE created_at < ?", (before,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- async twins: SQLite blocks (fsync), so they run in a worker thread -------------------

    async def aget(self, key: str) -> str | None:
        return await asyncio.to_thread(self.get, key)

    async def aget_many(self, keys: Sequence[str]) -> list[str | None]:
        return await asyncio.to_thread(self.get_many, keys)

    async def aset(self, key: str, value: str, ttl: float | None = None) -> None:
        await asyncio.to_thread(self.set, key, value, ttl)

    async def aadd(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return await asyncio.to_thread(self.add, key, value, ttl)

    async def adelete(self, key: str) -> None:
        await asyncio.to_thread(self.delete, key)

    async def aincr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return await asyncio.to_thread(self.incr, key, amount, ttl)

    async def ahit(self, windows: Sequence[Window]) -> int | None:
        return await asyncio.to_thread(self.hit, windows)

    async def areserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        return await asyncio.to_thread(self.reserve, key, interval, burst, max_wait, now)

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return await asyncio.to_thread(self.admit, blocked, claim, windows)

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return await asyncio.to_thread(self.run, calls)

    async def alog_put(self, record: LogRecord) -> None:
        await asyncio.to_thread(self.log_put, record)

    async def alog_query(self, **filters: Any) -> list[LogRecord]:
        return await asyncio.to_thread(lambda: self.log_query(**filters))
