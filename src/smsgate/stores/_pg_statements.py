"""What :class:`~smsgate.stores.postgres.PostgresStore` sends: queries as statements with their
arguments, and calls of smsgate's SQL operations, which run as one batch in one statement
(``smsgate_apply``); each with how its rows decode into the operation's answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import orjson

from .base import LogRecord, Refusal, Start

__all__ = [
    "Call",
    "Decode",
    "Statement",
    "applied",
    "arows_of",
    "carried",
    "first_index",
    "log_query",
    "log_records",
    "no_answer",
    "rows_of",
    "scalar",
    "started",
    "statements_of",
    "verdict",
]

Decode = Callable[[list[Any]], Any]  # the rows -> the operation's answer
Statement = tuple[str, Sequence[Any], Decode]


def no_answer(rows: list[Any]) -> None:
    return None


def scalar(rows: list[Any]) -> Any:
    return rows[0][0] if rows else None


def first_index(rows: list[Any]) -> int | None:
    verdict = scalar(rows)
    return None if verdict is None else int(verdict[1])


def verdict(rows: list[Any]) -> Refusal | None:
    verdict = scalar(rows)
    if verdict is None:
        return None
    kind, value = verdict
    return Refusal(kind, value if kind == "claimed" else int(value))


def started(answers: list[Any], *, admits: bool, tokens: int) -> Start:
    """The answers of a start's calls (its admit when ``admits``, its ``tokens`` reserves, its
    writes) as a :class:`Start`."""
    refusal = answers[0] if admits else None
    if refusal is not None:
        return Start(refusal, [], False)
    waits = answers[int(admits) : int(admits) + tokens]
    return Start(None, waits, None not in waits)


def log_records(rows: list[Any]) -> list[LogRecord]:
    records = []
    for data, deliveries in rows:
        record = LogRecord.from_json(data)
        record.deliveries = deliveries or {}
        records.append(record)
    return records


class Call(NamedTuple):
    """One of smsgate's SQL operations: its name in ``smsgate_apply``, its JSON arguments, the keys
    it locks, how its answer decodes and its ``gate`` (see :mod:`._pg_schema_v3`), if any."""

    name: str
    args: list[Any]
    locks: list[str]
    decode: Decode
    gate: str | None = None


_APPLY = "SELECT smsgate_apply(%s::jsonb, %s::jsonb)"
_APPLY_LAZY = "SELECT smsgate_apply(%s::jsonb, %s::jsonb), set_config('synchronous_commit', 'off', true)"
_CARRY = "SELECT smsgate_apply(%s::jsonb, %s::jsonb, %s::text)"
_CARRY_LAZY = "SELECT smsgate_apply(%s::jsonb, %s::jsonb, %s::text), set_config('synchronous_commit', 'off', true)"


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # something orjson declines (an integer past 64 bits): the standard library's
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _ops(calls: Sequence[Call]) -> str:
    return _json([call[:2] if call.gate is None else (*call[:2], call.gate) for call in calls])


def _answers(calls: Sequence[Call]) -> Callable[[list[Any]], list[Any]]:
    decoders = [call.decode for call in calls]
    return lambda values: [decode([(value,)]) for decode, value in zip(decoders, values, strict=True)]


def applied(calls: Sequence[Call], lazy: bool = False) -> Statement:
    """``calls`` as one statement, so one round trip and one transaction, always the same prepared
    statement; ``lazy``: its commit does not wait for the WAL flush. Decodes to their answers."""
    locks = _json([key for call in calls for key in call.locks])
    answers = _answers(calls)
    return _APPLY_LAZY if lazy else _APPLY, (locks, _ops(calls)), lambda rows: answers(rows[0][0])


def carried(calls: Sequence[Call], behind: Sequence[Call], lazy: bool, failed: Callable[[str], None]) -> Statement:
    """:func:`applied`, carrying the writes ``behind`` (schema version 4): they run first, and their
    failure (its SQLSTATE) goes to ``failed``, not to the caller."""
    kept = [call.args[0] for call in behind if call.name in ("put", "del")]
    locks = _json([*kept, *(key for call in calls for key in call.locks)])
    answers = _answers(calls)

    def decode(rows: list[Any]) -> list[Any]:
        *values, failure = rows[0][0]
        if failure is not None:
            failed(failure)
        return answers(values[len(values) - len(calls) :])  # made as one batch: the carried ones' first

    return _CARRY_LAZY if lazy else _CARRY, (locks, _ops(calls), _ops(behind)), decode


def statements_of(parts: Sequence[Call | Statement], lazy: bool) -> list[Statement]:
    """Calls as one statement, queries as they are; each decodes to a list of answers, in order."""
    if all(isinstance(part, Call) for part in parts):
        return [applied(parts, lazy)]  # type: ignore[arg-type]
    return [applied([p], lazy) if isinstance(p, Call) else (p[0], p[1], _listed(p[2])) for p in parts]


def _listed(decode: Decode) -> Decode:
    return lambda rows: [decode(rows)]


def rows_of(cursor: Any) -> list[Any]:
    return [] if cursor.description is None else cursor.fetchall()


async def arows_of(cursor: Any) -> list[Any]:
    return [] if cursor.description is None else await cursor.fetchall()


def log_query(
    *,
    message_id: str | None = None,
    phone: str | None = None,
    since: float | None = None,
    until: float | None = None,
    status: str | None = None,
    limit: int = 1000,
    newest_first: bool = False,
) -> Statement:
    sql = (
        "SELECT l.data, CASE WHEN l.kind = 'message' THEN (SELECT json_object_agg(d.phone, d.status)"
        " FROM smsgate_delivery AS d WHERE d.message_id = l.id) END FROM smsgate_log AS l"
    )
    where: list[str] = []
    args: list[Any] = []
    if phone is not None:
        sql += " JOIN smsgate_log_phone AS p ON p.message_id = l.message_id AND p.phone = %s"
        where.append("l.phones @> ARRAY[%s]")
        args += [phone, phone]
    filters = (("l.message_id = %s", message_id), ("l.created_at >= %s", since), ("l.created_at <= %s", until))
    for clause, value in (*filters, ("l.status = %s", status)):
        if value is not None:
            where.append(clause)
            args.append(value)
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = "DESC" if newest_first else "ASC"
    return sql + f" ORDER BY l.created_at {order}, l.seq {order} LIMIT %s", (*args, limit), log_records
