"""The SQLite store's schema: files of older versions are migrated when opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smsgate.stores import LogRecord, SQLiteStore
from smsgate.stores._sqlite_schema import _MIGRATIONS, _SCHEMA


def test_an_older_file_is_migrated(tmp_path: Path) -> None:
    """A file written before schema versions: its phone index moves to one row per message."""
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(_SCHEMA)
    record = LogRecord("r1", "attempt", "m1", ("+8613800138000",), "accepted", 1.0, 1.0)
    db.execute("INSERT INTO log VALUES ('r1', 'attempt', 'm1', 'accepted', 1.0, ?)", (record.to_json(),))
    db.execute("INSERT INTO log_phone VALUES ('+8613800138000', 'r1', 1.0)")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert [r.id for r in store.log_query(phone="+8613800138000")] == ["r1"]
    assert store._call(lambda db: db.execute("PRAGMA user_version").fetchone()[0], "test") == len(_MIGRATIONS)
    store.close()
    again = SQLiteStore(path)  # opened again: nothing to migrate
    assert [r.id for r in again.log_query(phone="+8613800138000")] == ["r1"]
    again.close()
