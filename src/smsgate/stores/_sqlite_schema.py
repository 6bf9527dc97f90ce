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
    # 2: the database indexes a record's phones as it inserts the record (a message's, or an
    # attempt's whose message has no record), so the writer neither asks which records exist nor
    # builds a row per phone.
    """
    CREATE TRIGGER log_phones AFTER INSERT ON log
    WHEN NEW.kind != 'attempt' OR NOT EXISTS (SELECT 1 FROM log WHERE id = NEW.message_id)
    BEGIN
        INSERT OR IGNORE INTO log_message_phone (phone, message_id, created_at)
            SELECT value, NEW.message_id, NEW.created_at FROM json_each(NEW.data, '$.phones');
    END;
    """,
    # 3: a big message's phones (64 or more: a bulk group's) are indexed by the writer as one row
    # of a full-text index (when all are E.164), appended as one segment a commit, where a B-tree
    # row a phone dirtied a page a phone; the trigger of 2 keeps the others. Skipped as a whole
    # where SQLite lacks FTS5 (the trigger of 2 then indexes every message).
    """
    CREATE VIRTUAL TABLE log_phone_group USING fts5(phones, message_id UNINDEXED, detail=none, columnsize=0);
    DROP TRIGGER log_phones;
    CREATE TRIGGER log_phones AFTER INSERT ON log
    WHEN json_array_length(NEW.data, '$.phones') < 64
        AND (NEW.kind != 'attempt' OR NOT EXISTS (SELECT 1 FROM log WHERE id = NEW.message_id))
    BEGIN
        INSERT OR IGNORE INTO log_message_phone (phone, message_id, created_at)
            SELECT value, NEW.message_id, NEW.created_at FROM json_each(NEW.data, '$.phones');
    END;
    """,
    # 4: the key-value table without a rowid: a value is one B-tree row, where a rowid table and its
    # key's index dirtied two pages a write.
    """
    CREATE TABLE kv_keyed (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL) WITHOUT ROWID;
    INSERT INTO kv_keyed (key, value, expires) SELECT key, value, expires FROM kv;
    DROP TABLE kv;
    ALTER TABLE kv_keyed RENAME TO kv;
    """,
)
GROUP = 64  # phones from which the writer indexes a message itself (migration 3)
_OPTIONAL = "no such module: fts5"  # a migration failing for this alone is skipped, as a whole


def connect(path: str, timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode (the writer opens its own transactions), usable
    from any thread (the writer takes turns on it), with WAL, ``synchronous=FULL`` and every
    migration applied (one process migrates at a time)."""
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("BEGIN IMMEDIATE")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        for statement in _statements(_SCHEMA) if version == 0 else []:
            db.execute(statement)
        for number, sql in enumerate(_MIGRATIONS[version:], start=version + 1):
            _migrate(db, sql)
            db.execute(f"PRAGMA user_version = {number}")
        db.execute("COMMIT")
    except BaseException:
        db.close()
        raise
    return db


def _migrate(db: sqlite3.Connection, script: str) -> None:
    """Run one migration's statements, all or none: one failing for want of FTS5 undoes the others."""
    db.execute("SAVEPOINT migrate")
    try:
        for statement in _statements(script):
            db.execute(statement)
    except sqlite3.OperationalError as exc:
        db.execute("ROLLBACK TO migrate")
        if _OPTIONAL not in str(exc):
            raise
    db.execute("RELEASE migrate")


def _statements(script: str) -> list[str]:
    """The statements of ``script``, each whole (a trigger's body holds semicolons of its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements
