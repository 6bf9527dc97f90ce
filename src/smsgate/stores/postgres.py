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
from functools import partial
from typing import Any, Literal, cast

from .._reports import DeliveryReport, InboundMessage
from ._pg_behind import Behind, behind_failed
from ._pg_calls import Calls
from ._pg_schema import migrate
from ._pg_statements import (
    Call,
    Statement,
    arows_of,
    carried,
    rows_of,
    statements_of,
)
from ._pg_writer import GroupWriter
from .base import (
    Keep,
    LogRecord,
    Refusal,
    Reserve,
    Start,
    Store,
    Window,
    store_error,
    translating,
)

try:
    import psycopg
    from psycopg_pool import ConnectionPool, PoolTimeout

    from ._pg_async import LoopConnections, fast_json
    from ._pg_held import Held
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("PostgresStore needs psycopg: pip install 'smsgate[postgres]'") from exc

__all__ = ["PostgresStore"]


@translating(psycopg.Error, PoolTimeout, asyncio.TimeoutError)
class PostgresStore(Calls, Store):
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
        Calls.__init__(self, clock)
        self.durability = durability
        self._lazy = durability == "process"  # every commit lazy
        self._dsn = dsn
        self._max = max_connections
        self._timeout = timeout
        self._kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(1, int(timeout))}
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_connections,
            kwargs=self._kwargs,
            timeout=timeout,
            open=True,
            configure=fast_json,
        )
        self._held = Held(self._pool)
        self._aconns: LoopConnections | None = None
        self._awriter: GroupWriter | None = None
        self._behind = Behind(lambda calls: self._send(calls, lazy=True))
        try:
            with self._pool.connection() as conn:
                self.schema_version = migrate(conn)
        except (psycopg.Error, PoolTimeout) as exc:
            self._pool.close()
            raise store_error("PostgresStore", "open", exc) from exc

    def __repr__(self) -> str:  # the DSN may carry a password
        durability = "" if self.durability == "machine" else f" durability={self.durability!r}"
        return f"<PostgresStore schema_version={self.schema_version}{durability}>"

    # -- sync ---------------------------------------------------------------------------------

    def _exec(self, parts: Sequence[Call | Statement], lazy: bool = False) -> list[Any]:
        """``parts`` in one round trip, carrying the writes behind (queries wait for them instead)."""
        batch = self._batch(parts)
        if not self._behind:
            return self._send(batch, lazy)
        if not all(isinstance(part, Call) for part in batch):
            self._behind.flush()
            return self._send(batch, lazy)
        behind, since = self._behind.take()
        calls = cast(list[Call], batch)
        sql, args, decode = carried(calls, behind, lazy or self._lazy, partial(behind_failed, len(behind)))
        try:
            with self._held.connection() as conn:
                return decode(rows_of(conn.execute(sql, args)))  # type: ignore[no-any-return]
        except BaseException:
            self._behind.give_back(behind, since)  # the thread tries them alone
            raise

    def _send(self, batch: Sequence[Call | Statement], lazy: bool) -> list[Any]:
        statements = statements_of(batch, lazy or self._lazy)
        with self._held.connection() as conn:
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

    def start(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        """One statement, one transaction, one commit (lazy when there is nothing to write)."""
        calls, answered = self._start(blocked, claim, windows, reserves, records, keep)
        return answered(self._exec(calls, lazy=not records and keep is None)) if calls else Start(None, [], True)

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

    def write_behind(
        self, records: Sequence[LogRecord] = (), *, keep: Keep | None = None, forget: str | None = None
    ) -> None:
        """Carried by this store's next statement (one round trip), else sent after
        :data:`~smsgate.stores.base.LINGER` seconds by a thread (see :mod:`._pg_behind`)."""
        calls = [*map(self._log_put, records), *self._kept(keep, forget)]
        if self._pool.closed:
            self._exec(calls, lazy=True)  # raises as write does
        elif calls:
            self._behind.add(calls)

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
        self._behind.close()
        self._held.give_back()
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
            self._awriter = GroupWriter(self._aconns, self._asend)
        return self._aconns

    async def _aexec(self, parts: Sequence[Call | Statement], lazy: bool = False) -> list[Any]:
        """``parts`` after the writes behind (so reads see them), on a connection of this loop."""
        if self._behind:  # written behind by a sync caller
            await asyncio.to_thread(self._behind.flush)
        self._aconnections()
        assert self._awriter is not None
        if self._awriter.waiting:
            await self._awriter.settle()
        return await self._asend(parts, lazy)

    async def _asend(self, parts: Sequence[Call | Statement], lazy: bool = False) -> list[Any]:
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
        if self._behind:
            await asyncio.to_thread(self._behind.flush)
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

    async def astart(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        """In this loop's next group commit, with its pending writes (or its admits: nothing to write)."""
        calls, answered = self._start(blocked, claim, windows, reserves, records, keep)
        return answered(await self._queued(calls, not records and keep is None)) if calls else Start(None, [], True)

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

    async def awrite_behind(
        self, records: Sequence[LogRecord] = (), *, keep: Keep | None = None, forget: str | None = None
    ) -> None:
        """:meth:`write_behind`'s async twin: returns at once; this loop's next group commit carries the
        write, ahead of its own writes, else a lazy commit of its own after
        :data:`~smsgate.stores.base.LINGER` seconds, or :meth:`aclose`. A failure is logged."""
        calls = [self._log_put(r) for r in records] + self._kept(keep, forget)
        if calls:
            self._aconnections()
            assert self._awriter is not None
            self._awriter.behind(self._batch(calls))  # type: ignore[arg-type]

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
        await asyncio.to_thread(self._behind.close)
        if self._awriter is not None and self._aconns is not None and self._aconns.loop is asyncio.get_running_loop():
            await self._awriter.settle()
        self._held.give_back()
        if self._aconns is not None:
            if self._aconns.loop is asyncio.get_running_loop():
                await self._aconns.aclose()
            else:
                self._aconns.drop()
            self._aconns = None
        self._pool.close()
