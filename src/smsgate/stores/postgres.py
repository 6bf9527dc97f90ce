"""``PostgresStore``: durable and shared by many processes on many machines (psycopg 3 and its pool).

Needs the ``postgres`` extra (``pip install smsgate[postgres]``). smsgate creates and migrates its
tables itself (see :mod:`smsgate.stores._pg_schema`). Operations are calls of one server-side
function, ``smsgate_apply``, which runs a batch of them given as JSON: one prepared statement,
one round trip and one transaction whatever the batch (queries are plain statements). The sync
side uses psycopg's ``ConnectionPool``; the async twins keep connections of the running loop (see
:mod:`smsgate.stores._pg_async`), so the store works from any event loop, and the writes, admits
and rate tokens of one loop share their statements and commits (see
:mod:`smsgate.stores._pg_writer`). Lazy writes, admitting a send and taking a rate token commit
with ``synchronous_commit`` off: the WAL flush of the send's *pending* record, before any request
leaves, covers them.
A failure raises :class:`~smsgate.StoreError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from .._reports import DeliveryReport, InboundMessage
from ._pg_schema import migrate
from ._pg_statements import (
    Call,
    Statement,
    arows_of,
    first_index,
    log_query,
    no_answer,
    rows_of,
    scalar,
    statements_of,
    verdict,
)
from ._pg_writer import GroupWriter
from .base import (
    Keep,
    LogRecord,
    Refusal,
    Store,
    Window,
    dump_inbound,
    dump_report,
    inbound_key,
    load_inbound,
    load_report,
    provider_refs,
    store_error,
    translating,
)

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout

    from ._pg_async import LoopConnections
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("PostgresStore needs psycopg: pip install 'smsgate[postgres]'") from exc

__all__ = ["PostgresStore"]

_PURGE_EVERY = 1000


@translating(psycopg.Error, PoolTimeout, asyncio.TimeoutError)
class PostgresStore(Store):
    """A store in a PostgreSQL database. ``dsn`` is a libpq connection string or URL.

    ``durability``: what a returned write survives. ``"machine"`` (the default): a crash of the
    database server or its machine (a send's pending record waits for its WAL flush). ``"process"``:
    every write commits without waiting for its WAL flush (``synchronous_commit`` off), the pending
    records too, so a crash of smsgate's process still loses nothing, but a crash of the database
    server or its machine may lose its last moments of writes (up to three ``wal_writer_delay``,
    0.6 s by default) and a request that left may be missing from the send log. Sequential sync
    sends then skip the WAL flush that bounds them.
    """

    def __init__(
        self,
        dsn: str,
        *,
        clock: Callable[[], float] = time.time,
        max_connections: int = 10,
        timeout: float = 10.0,
        durability: Literal["machine", "process"] = "machine",
    ) -> None:
        if durability not in ("machine", "process"):
            raise ValueError(f"durability must be 'machine' or 'process', not {durability!r}")
        self.clock = clock
        self.durability = durability
        self._lazy = durability == "process"  # every commit lazy
        self._dsn = dsn
        self._max = max_connections
        self._timeout = timeout
        self._kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(1, int(timeout))}
        self._writes = 0
        self._pool = ConnectionPool(
            dsn, min_size=1, max_size=max_connections, kwargs=self._kwargs, timeout=timeout, open=True
        )
        self._aconns: LoopConnections | None = None
        self._awriter: GroupWriter | None = None
        try:
            with self._pool.connection() as conn:
                self.schema_version = migrate(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            self._pool.close()
            raise store_error("PostgresStore", "open", exc) from exc

    def __repr__(self) -> str:  # the DSN may carry a password
        durability = "" if self.durability == "machine" else f" durability={self.durability!r}"
        return f"<PostgresStore schema_version={self.schema_version}{durability}>"

    # -- statements shared by both twins -----------------------------------------------------

    def _statement(self, name: str, args: Sequence[Any]) -> Call | Statement:
        build: Callable[..., Call | Statement] = getattr(self, "_" + name)
        return build(*args)

    def _get(self, key: str) -> Call:
        return Call("live", [key, self.clock()], [], scalar)

    def _get_many(self, keys: Sequence[str]) -> Statement:
        sql = "SELECT smsgate_live(k, %s) FROM unnest(%s::text[]) WITH ORDINALITY AS t(k, n) ORDER BY n"
        return sql, (self.clock(), list(keys)), lambda rows: [row[0] for row in rows]

    def _set(self, key: str, value: str, ttl: float | None = None) -> Call:
        return Call("put", [key, value, ttl, self.clock()], [], no_answer)

    def _add(self, key: str, value: str, ttl: float | None = None) -> Call:
        return Call("add", [key, value, ttl, self.clock()], [key], scalar)

    def _delete(self, key: str) -> Call:
        return Call("del", [key], [], no_answer)

    def _incr(self, key: str, amount: int = 1, ttl: float | None = None) -> Call:
        return Call("incr", [key, amount, ttl, self.clock()], [], scalar)

    def _hit(self, windows: Sequence[Window]) -> Call:
        return self._admit([], None, windows)._replace(decode=first_index)

    def _reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> Call:
        return Call("reserve", [key, interval, burst, max_wait, now], [key], scalar)

    def _admit(self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]) -> Call:
        key, value, ttl = claim or (None, None, None)
        keys, limits, ttls = [w[0] for w in windows], [w[1] for w in windows], [w[2] for w in windows]
        locks = keys if key is None else [key, *keys]
        return Call("admit", [list(blocked), key, value, ttl, keys, limits, ttls, self.clock()], locks, verdict)

    def _log_put(self, record: LogRecord) -> Call:
        args = [record.id, record.kind, record.message_id, record.status, record.provider, record.created_at]
        return Call("log_put", [*args, list(record.phones), record.to_json(), provider_refs(record)], [], no_answer)

    def _kept(self, keep: Keep | None, forget: str | None) -> list[Call]:
        """What a write sets and deletes after its records (see :meth:`Store.write`)."""
        return ([] if keep is None else [self._set(*keep)]) + ([] if forget is None else [self._delete(forget)])

    _log_query = staticmethod(log_query)

    def _record_report(self, report: DeliveryReport) -> Call:
        args = [report.key, report.provider, report.provider_message_id, report.phone, report.status.value]

        def recorded(rows: list[Any]) -> bool:
            answer = scalar(rows)
            if answer is not None:
                report.message_id = answer[0]
            return answer is not None

        return Call("record_report", [*args, dump_report(report)], [], recorded)

    def _reports(self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100) -> Statement:
        where = [c for c, v in (("message_id = %s", message_id), ("phone = %s", phone)) if v is not None]
        args = [v for v in (message_id, phone) if v is not None]
        sql = "SELECT data, message_id FROM smsgate_report" + (" WHERE " + " AND ".join(where) if where else "")
        return sql + " ORDER BY seq DESC LIMIT %s", (*args, limit), lambda rows: [load_report(*r) for r in rows]

    def _record_inbound(self, message: InboundMessage) -> Statement:
        sql = "INSERT INTO smsgate_inbound (key, sender, data) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1"
        args = (inbound_key(message), message.sender, dump_inbound(message))
        return sql, args, bool

    def _inbound(self, *, phone: str | None = None, limit: int = 100) -> Statement:
        sql = "SELECT data FROM smsgate_inbound" + ("" if phone is None else " WHERE sender = %s")
        args = ([] if phone is None else [phone]) + [limit]
        return sql + " ORDER BY seq DESC LIMIT %s", args, lambda rows: [load_inbound(r[0]) for r in rows]

    def _batch(self, parts: list[Call | Statement]) -> list[Call | Statement]:
        self._writes += 1
        if self._writes % _PURGE_EVERY == 0:  # expired counters and claims would otherwise pile up
            return [*parts, Call("purge", [self.clock()], [], no_answer)]
        return parts

    # -- sync ---------------------------------------------------------------------------------

    def _exec(self, parts: list[Call | Statement], lazy: bool = False) -> list[Any]:
        statements = statements_of(self._batch(parts), lazy or self._lazy)
        with self._pool.connection() as conn:
            if len(statements) == 1:
                sql, args, decode = statements[0]
                return decode(rows_of(conn.execute(sql, args)))  # type: ignore[no-any-return]
            with conn.pipeline(), conn.transaction():
                cursors = [conn.execute(sql, args) for sql, args, _ in statements]
            return [a for cur, (_, _, decode) in zip(cursors, statements, strict=True) for a in decode(rows_of(cur))]

    def _one(self, part: Call | Statement) -> Any:
        return self._exec([part])[0]

    def get(self, key: str) -> str | None:
        return self._one(self._get(key))  # type: ignore[no-any-return]

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        return self._one(self._get_many(keys))  # type: ignore[no-any-return]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._one(self._set(key, value, ttl))

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self._one(self._add(key, value, ttl))  # type: ignore[no-any-return]

    def delete(self, key: str) -> None:
        self._one(self._delete(key))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(self._one(self._incr(key, amount, ttl)))

    def hit(self, windows: Sequence[Window]) -> int | None:
        return self._one(self._hit(windows))  # type: ignore[no-any-return]

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        return self._exec([self._reserve(key, interval, burst, max_wait, now)], lazy=True)[0]  # type: ignore[no-any-return]

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return self._exec([self._admit(blocked, claim, windows)], lazy=True)[0]  # type: ignore[no-any-return]

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return self._exec([self._statement(name, args) for name, args in calls])[: len(calls)]

    def write(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: Keep | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        self._exec([*map(self._log_put, records), *self._kept(keep, forget)], lazy)

    def log_put(self, record: LogRecord) -> None:
        self._one(self._log_put(record))

    def log_query(self, **filters: Any) -> list[LogRecord]:
        return self._one(self._log_query(**filters))  # type: ignore[no-any-return]

    def record_report(self, report: DeliveryReport) -> bool:
        return bool(self._one(self._record_report(report)))

    def reports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        return self._one(self._reports(message_id=message_id, phone=phone, limit=limit))  # type: ignore[no-any-return]

    def record_inbound(self, message: InboundMessage) -> bool:
        return bool(self._one(self._record_inbound(message)))

    def inbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        return self._one(self._inbound(phone=phone, limit=limit))  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._aconns is not None:  # a loop's connections, closed without it
            self._aconns.drop()
            self._aconns = None
        self._pool.close()

    # -- async --------------------------------------------------------------------------------

    def _aconnections(self) -> LoopConnections:
        """The connections of the running event loop (a connection is bound to its loop)."""
        if self._aconns is None or self._aconns.loop is not asyncio.get_running_loop():
            if self._aconns is not None:
                self._aconns.drop()
            self._aconns = LoopConnections(self._dsn, self._kwargs, self._max, self._timeout)
            self._awriter = GroupWriter(self._aconns, self._aexec)
        return self._aconns

    async def _aexec(self, parts: list[Call | Statement], lazy: bool = False) -> list[Any]:
        statements = statements_of(self._batch(parts), lazy or self._lazy)
        async with self._aconnections().connection() as conn:
            if len(statements) == 1:
                sql, args, decode = statements[0]
                return decode(await arows_of(await conn.execute(sql, args)))  # type: ignore[no-any-return]
            async with conn.pipeline(), conn.transaction():
                cursors = [await conn.execute(sql, args) for sql, args, _ in statements]
            decoded = [decode(await arows_of(cur)) for cur, (_, _, decode) in zip(cursors, statements, strict=True)]
            return [answer for answers in decoded for answer in answers]

    async def _aone(self, part: Call | Statement) -> Any:
        return (await self._aexec([part]))[0]

    async def _queued(self, calls: list[Call], lazy: bool) -> list[Any]:
        """``calls`` in this loop's next group commit of their kind (see :class:`GroupWriter`)."""
        self._aconnections()
        assert self._awriter is not None
        return await self._awriter.write(self._batch(calls), lazy or self._lazy)  # type: ignore[arg-type]

    async def aget(self, key: str) -> str | None:
        return await self._aone(self._get(key))  # type: ignore[no-any-return]

    async def aget_many(self, keys: Sequence[str]) -> list[str | None]:
        return await self._aone(self._get_many(keys))  # type: ignore[no-any-return]

    async def aset(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._aone(self._set(key, value, ttl))

    async def aadd(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return await self._aone(self._add(key, value, ttl))  # type: ignore[no-any-return]

    async def adelete(self, key: str) -> None:
        await self._aone(self._delete(key))

    async def aincr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(await self._aone(self._incr(key, amount, ttl)))

    async def ahit(self, windows: Sequence[Window]) -> int | None:
        return await self._aone(self._hit(windows))  # type: ignore[no-any-return]

    async def areserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        return (await self._queued([self._reserve(key, interval, burst, max_wait, now)], True))[0]  # type: ignore[no-any-return]

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return (await self._queued([self._admit(blocked, claim, windows)], True))[0]  # type: ignore[no-any-return]

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return (await self._aexec([self._statement(name, args) for name, args in calls]))[: len(calls)]

    async def awrite(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: Keep | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        """Committed together with the other writes of this event loop queued meanwhile (group commit)."""
        await self._queued([self._log_put(r) for r in records] + self._kept(keep, forget), lazy)

    async def alog_put(self, record: LogRecord) -> None:
        await self._aone(self._log_put(record))

    async def alog_query(self, **filters: Any) -> list[LogRecord]:
        return await self._aone(self._log_query(**filters))  # type: ignore[no-any-return]

    async def arecord_report(self, report: DeliveryReport) -> bool:
        return bool(await self._aone(self._record_report(report)))

    async def areports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        return await self._aone(self._reports(message_id=message_id, phone=phone, limit=limit))  # type: ignore[no-any-return]

    async def arecord_inbound(self, message: InboundMessage) -> bool:
        return bool(await self._aone(self._record_inbound(message)))

    async def ainbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        return await self._aone(self._inbound(phone=phone, limit=limit))  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        if self._aconns is not None:
            if self._aconns.loop is asyncio.get_running_loop():
                await self._aconns.aclose()
            else:
                self._aconns.drop()
            self._aconns = None
        self._pool.close()
