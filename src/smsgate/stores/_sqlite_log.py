"""The SQLite store's send log, delivery reports and inbound messages: jobs of its writer (see
:mod:`smsgate.stores._writer`), each a function of the connection, run inside the writer's transaction."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from .._reports import DeliveryReport, InboundMessage
from ._codec import dump_inbound, dump_report, inbound_key, load_inbound, load_report
from ._sqlite_schema import GROUP
from .base import LogRecord

__all__ = ["inbound", "log_prune", "log_put", "log_put_many", "log_query", "record_inbound", "record_report", "reports"]


_E164 = re.compile(r"\+[0-9]+")  # what the full-text index of big messages' phones holds (schema 3)
_E164S = re.compile(r"\+[0-9]+(?: \+[0-9]+)*")


def _grouped(db: sqlite3.Connection) -> bool:
    """The file has the full-text index of big messages' phones (SQLite built with FTS5)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'log_phone_group'").fetchone() is not None


def log_put(db: sqlite3.Connection, record: LogRecord) -> None:
    log_put_many(db, [record])


_INSERT = "INSERT INTO log (id, kind, message_id, status, created_at, data) VALUES (?, ?, ?, ?, ?, ?)"
_SAME = (  # the usual update, of a record's status and data only: its indexes stay as they are
    _INSERT + " ON CONFLICT (id) DO UPDATE SET status = excluded.status, data = excluded.data"
    " WHERE log.kind = excluded.kind AND log.message_id = excluded.message_id AND log.created_at = excluded.created_at"
)
_PHONE = "INSERT OR IGNORE INTO log_message_phone (phone, message_id, created_at) VALUES (?, ?, ?)"
_REPLACE = (
    _INSERT + " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, message_id = excluded.message_id,"
    " status = excluded.status, created_at = excluded.created_at, data = excluded.data"
)


def log_put_many(db: sqlite3.Connection, records: Sequence[LogRecord]) -> None:
    """Insert or replace ``records`` in order (a later one with the same id wins), a few statements
    for the lot. A message's phones are indexed once, by its first record: a row a phone (the
    schema's trigger), or one row of the full-text index for a big message (here)."""
    big = [r for r in records if len(r.phones) >= GROUP]
    firsts = _firsts(db, big) if big and _grouped(db) else []
    rows = [(r.id, r.kind, r.message_id, r.status, r.created_at, r.to_json(compact=True)) for r in records]
    if db.executemany(_SAME, rows).rowcount != len(rows):  # some record changed its kind, message or time
        db.executemany(_REPLACE, rows)
    groups: list[tuple[str, str]] = []
    phones: list[tuple[str, str, float]] = []
    for r in firsts:
        joined = " ".join(r.phones)
        if _E164S.fullmatch(joined):  # one token a phone: found by any of them
            groups.append((joined, r.message_id))
        else:
            phones += [(phone, r.message_id, r.created_at) for phone in r.phones]
    if groups:
        db.executemany("INSERT INTO log_phone_group (phones, message_id) VALUES (?, ?)", groups)
    if phones:
        db.executemany(_PHONE, phones)
    refs = [  # an attempt's distinct provider message ids (provider_refs), what receipts are matched by
        (r.provider, ref, r.id, r.message_id)
        for r in records
        if r.message_ids and r.provider is not None
        for ref in set(r.message_ids.values())
    ]
    if refs:
        db.executemany("INSERT OR IGNORE INTO log_ref (provider, ref, record_id, message_id) VALUES (?, ?, ?, ?)", refs)


def _firsts(db: sqlite3.Connection, big: list[LogRecord]) -> list[LogRecord]:
    """The records of ``big`` that will be the first of their message in the log (asked before they
    are written): those whose phones the writer indexes, as the schema's trigger does small ones."""
    asked = json.dumps([*{r.id for r in big}, *{r.message_id for r in big}])
    present = {row[0] for row in db.execute("SELECT id FROM log WHERE id IN (SELECT value FROM json_each(?))", [asked])}
    firsts = []
    for r in big:
        if r.id not in present and (r.kind != "attempt" or r.message_id not in present):
            firsts.append(r)
        present.add(r.id)
    return firsts


def log_query(
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
    if phone is not None:  # the indexes find the messages; each record is checked for the phone
        found = "SELECT message_id FROM log_message_phone WHERE phone = ?"
        args.append(phone)
        if _E164.fullmatch(phone) and _grouped(db):
            found += " UNION ALL SELECT message_id FROM log_phone_group WHERE log_phone_group MATCH ?"
            args.append(f'"{phone}"')
        where.append(f"log.message_id IN ({found})")
        where.append("EXISTS (SELECT 1 FROM json_each(log.data, '$.phones') WHERE value = ?)")
        args.append(phone)
    filters = (("log.message_id = ?", message_id), ("log.created_at >= ?", since), ("log.created_at <= ?", until))
    for clause, value in (*filters, ("log.status = ?", status)):
        if value is not None:
            where.append(clause)
            args.append(value)
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


def record_report(db: sqlite3.Connection, report: DeliveryReport) -> bool:
    matched = None
    if report.provider_message_id is not None:
        rows = db.execute(
            "SELECT f.message_id, l.data FROM log_ref AS f JOIN log AS l ON l.id = f.record_id"
            " WHERE f.provider = ? AND f.ref = ? ORDER BY l.rowid DESC",
            (report.provider, report.provider_message_id),
        ).fetchall()
        ids = ((m, LogRecord.from_json(data).message_ids) for m, data in rows)
        matched = next((m for m, found in ids if found.get(report.phone) == report.provider_message_id), None)
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


def reports(
    db: sqlite3.Connection, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
) -> list[DeliveryReport]:
    where = [c for c, v in (("message_id = ?", message_id), ("phone = ?", phone)) if v is not None]
    args: list[Any] = [v for v in (message_id, phone) if v is not None]
    sql = "SELECT data, message_id FROM report" + (" WHERE " + " AND ".join(where) if where else "")
    rows = db.execute(sql + " ORDER BY seq DESC LIMIT ?", (*args, limit)).fetchall()
    return [load_report(data, message_id) for data, message_id in rows]


def record_inbound(db: sqlite3.Connection, message: InboundMessage) -> bool:
    return bool(
        db.execute(
            "INSERT OR IGNORE INTO inbound (key, sender, data) VALUES (?, ?, ?)",
            (inbound_key(message), message.sender, dump_inbound(message)),
        ).rowcount
    )


def inbound(db: sqlite3.Connection, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
    sql = "SELECT data FROM inbound" + ("" if phone is None else " WHERE sender = ?") + " ORDER BY seq DESC LIMIT ?"
    rows = db.execute(sql, ([] if phone is None else [phone]) + [limit]).fetchall()
    return [load_inbound(row[0]) for row in rows]


def log_prune(db: sqlite3.Connection, before: float) -> int:
    """Delete send-log records created before ``before`` (a timestamp); returns how many."""
    db.execute("DELETE FROM log_ref WHERE record_id IN (SELECT id FROM log WHERE created_at < ?)", (before,))
    pruned = db.execute("DELETE FROM log WHERE created_at < ?", (before,)).rowcount
    tables = ("log_message_phone", "delivery", *(["log_phone_group"] if _grouped(db) else []))
    for table in tables:  # of messages with no record left
        orphan = f"NOT EXISTS (SELECT 1 FROM log WHERE log.message_id = {table}.message_id)"
        db.execute(f"DELETE FROM {table} WHERE {orphan}")
    return pruned
