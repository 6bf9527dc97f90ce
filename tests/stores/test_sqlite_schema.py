"""The SQLite store's schema: files of older versions are migrated when opened."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smsgate.stores import LogRecord, SQLiteStore
from smsgate.stores._sqlite_schema import _MIGRATIONS, _SCHEMA, connect


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


def test_a_version_1_file_indexes_new_records_by_trigger(tmp_path: Path) -> None:
    """Migration 2 adds the trigger that indexes a record's phones: records kept before stay found."""
    path = tmp_path / "v1.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(_SCHEMA)
    db.executescript(_MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    old = LogRecord("m0", "message", "m0", ("+8613800138000",), "accepted", 1.0, 1.0)
    db.execute("INSERT INTO log VALUES ('m0', 'message', 'm0', 'accepted', 1.0, ?)", (old.to_json(),))
    db.execute("INSERT INTO log_message_phone VALUES ('+8613800138000', 'm0', 1.0)")
    db.close()
    store = SQLiteStore(path)
    store.log_put(LogRecord("m1", "message", "m1", ("+8613800138000", "+8613800138001"), "pending", 2.0, 2.0))
    assert [r.id for r in store.log_query(phone="+8613800138000")] == ["m0", "m1"]
    assert [r.id for r in store.log_query(phone="+8613800138001")] == ["m1"]
    store.close()
    again = connect(str(path), 1.0)
    assert again.execute("PRAGMA user_version").fetchone()[0] == len(_MIGRATIONS)
    again.close()


def test_a_version_3_file_keeps_its_values_without_a_rowid(tmp_path: Path) -> None:
    """Migration 4 rebuilds the key-value table without a rowid: its values, expiries included, stay."""
    path = tmp_path / "v3.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(_SCHEMA)
    for script in _MIGRATIONS[:3]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 3")
    db.execute("INSERT INTO kv VALUES ('kept', 'v', NULL), ('gone', 'old', 1.0), ('live', 'w', 9e99)")
    db.close()
    store = SQLiteStore(path)
    assert store.get_many(["kept", "gone", "live"]) == ["v", None, "w"]
    sql = store._call(lambda db: db.execute("SELECT sql FROM sqlite_master WHERE name = 'kv'").fetchone()[0], "t")
    assert "WITHOUT ROWID" in sql
    store.set("new", "x")
    assert store.get("new") == "x"
    store.close()
