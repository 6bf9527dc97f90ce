"""The SQLite store's tables, and :func:`connect`: a connection in WAL mode, migrated to the newest schema."""

from __future__ import annotations

import sqlite3

__all__ = ["connect"]

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
    # 2: the phones of a big message (a bulk group's hundreds) as one row of a full-text index:
    # appended as one segment a commit, where a row a phone in the B-tree above dirties a page a
    # phone. Left out where SQLite lacks FTS5 (the B-tree then holds every message's phones).
    """
    CREATE VIRTUAL TABLE log_phone_group USING fts5(phones, message_id UNINDEXED, detail=none, columnsize=0);
    """,
)
_OPTIONAL = "no such module: fts5"  # a migration failing only for this is skipped


def connect(path: str, timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode (the writer opens its own transactions), with
    WAL, ``synchronous=FULL`` and every migration applied (one process migrates at a time)."""
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None)
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
                _execute(db, statement)
        db.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    return db


def _execute(db: sqlite3.Connection, statement: str) -> None:
    try:
        db.execute(statement)
    except sqlite3.OperationalError as exc:  # a statement that fails changes nothing
        if _OPTIONAL not in str(exc):
            raise
