"""What :class:`~smsgate.stores.postgres.PostgresStore` sends: a statement with its arguments and
how its rows decode into the operation's answer; calls of smsgate's SQL functions merge into one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .base import LogRecord, Refusal

__all__ = [
    "Decode",
    "Statement",
    "arows_of",
    "first_index",
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


def merged(statements: list[Statement]) -> Statement | None:
    """Calls of smsgate's functions as one ``SELECT f(…), g(…)``: one statement, so one round trip
    and one transaction (PostgreSQL evaluates the select list in order). ``None`` when any is a query."""
    calls = [sql for sql, _, _ in statements]
    if not all(sql.startswith("SELECT smsgate_") and " FROM " not in sql for sql in calls):
        return None
    sql = "SELECT " + ", ".join(call[len("SELECT ") :] for call in calls)
    args = [arg for _, call_args, _ in statements for arg in call_args]
    decoders = [decode for _, _, decode in statements]
    return sql, args, lambda rows: [decode([(value,)]) for decode, value in zip(decoders, rows[0], strict=True)]


def rows_of(cursor: Any) -> list[Any]:
    return [] if cursor.description is None else cursor.fetchall()


async def arows_of(cursor: Any) -> list[Any]:
    return [] if cursor.description is None else await cursor.fetchall()
