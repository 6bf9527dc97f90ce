"""What :class:`~smsgate.stores.postgres.PostgresStore` sends: a statement with its arguments and
how its rows decode into the operation's answer; calls of smsgate's SQL functions merge into one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import LogRecord, Refusal

__all__ = [
    "LAZY",
    "Decode",
    "Statement",
    "arows_of",
    "first_index",
    "log_query",
    "log_records",
    "merged",
    "no_answer",
    "rows_of",
    "scalar",
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


def log_records(rows: list[Any]) -> list[LogRecord]:
    records = []
    for data, deliveries in rows:
        record = LogRecord.from_json(data)
        record.deliveries = deliveries or {}
        records.append(record)
    return records


LAZY: Statement = ("SELECT set_config('synchronous_commit', 'off', true)", (), no_answer)
"""In a transaction whose commit need not wait for its WAL flush (a lazy write)."""


def merged(statements: list[Statement]) -> Statement | None:
    """Calls of smsgate's functions as one ``SELECT f(…), g(…)``: one statement, so one round trip
    and one transaction (PostgreSQL evaluates the select list in order). ``None`` when any is a query."""
    calls = [sql for sql, _, _ in statements]
    if not all((sql.startswith("SELECT smsgate_") or sql == LAZY[0]) and " FROM " not in sql for sql in calls):
        return None
    sql = "SELECT " + ", ".join(call[len("SELECT ") :] for call in calls)
    args = [arg for _, call_args, _ in statements for arg in call_args]
    decoders = [decode for _, _, decode in statements]
    return sql, args, lambda rows: [decode([(value,)]) for decode, value in zip(decoders, rows[0], strict=True)]


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
    for clause, value in (("l.message_id = %s", message_id), ("l.created_at >= %s", since)):
        if value is not None:
            where.append(clause)
            args.append(value)
    if until is not None:
        where.append("l.created_at <= %s")
        args.append(until)
    if status is not None:
        where.append("l.status = %s")
        args.append(status)
    if where:
        sql += " WHERE " + " AND ".join(where)
    order = "DESC" if newest_first else "ASC"
    return sql + f" ORDER BY l.created_at {order}, l.seq {order} LIMIT %s", (*args, limit), log_records
