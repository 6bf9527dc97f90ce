"""What each operation of :class:`~smsgate.stores.postgres.PostgresStore` sends, shared by its sync
and async twins: a :class:`~._pg_statements.Call` of ``smsgate_apply`` or a plain statement."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from .._reports import DeliveryReport, InboundMessage
from ._codec import dump_inbound, dump_report, inbound_key, load_inbound, load_report
from ._pg_statements import Call, Statement, first_index, log_query, no_answer, scalar, started, verdict
from .base import Keep, LogRecord, Reserve, Start, Window, provider_refs

__all__ = ["Calls"]

_PURGE_EVERY = 1000


class Calls:
    """The operations as what they send; ``clock`` dates them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._writes = 0  # batches sent: every _PURGE_EVERY-th also purges
        self._gates = itertools.count()

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

    def _start(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve],
        records: Sequence[LogRecord],
        keep: Keep | None,
    ) -> tuple[list[Call], Callable[[list[Any]], Start]]:
        """:meth:`Store.start` as calls of one statement, behind one gate when something may refuse
        (see :mod:`._pg_schema_v3`), and how their answers make its :class:`Start`. An empty
        admission is no call: a send with only a send log writes its records alone."""
        admits = bool(blocked or claim or windows)
        calls = [self._admit(blocked, claim, windows)] if admits else []
        calls += [self._reserve(*reserve) for reserve in reserves]
        writes = [*map(self._log_put, records), *self._kept(keep, None)]
        if calls:
            gate = str(next(self._gates))
            writes = [call._replace(gate=gate) for call in (*calls, *writes)]
        return writes, partial(started, admits=admits, tokens=len(reserves))

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

    def _batch(self, parts: Sequence[Call | Statement]) -> list[Call | Statement]:
        self._writes += 1
        if self._writes % _PURGE_EVERY == 0:  # expired counters and claims would otherwise pile up
            return [*parts, Call("purge", [self.clock()], [], no_answer)]
        return list(parts)
