"""What only the SQLite store does: durability settings, purging, pruning the log."""

from __future__ import annotations

from pathlib import Path

from smsgate.stores import LogRecord, SQLiteStore


def test_wal_and_full_sync(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    assert store._call(lambda db: db.execute("PRAGMA journal_mode").fetchone()[0], "test") == "wal"
    assert store._call(lambda db: db.execute("PRAGMA synchronous").fetchone()[0], "test") == 2  # FULL
    store.close()


def test_expired_rows_are_purged(tmp_path: Path) -> None:
    now = [0.0]
    store = SQLiteStore(tmp_path / "s.db", clock=lambda: now[0])
    for i in range(999):
        store.set(f"k{i}", "v", ttl=1.0)
    now[0] = 5.0
    store.set("fresh", "v", ttl=1.0)  # the 1000th write purges
    assert store._call(lambda db: db.execute("SELECT COUNT(*) FROM kv").fetchone()[0], "test") == 1
    store.close()


def test_log_prune(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    for i in range(3):
        store.log_put(LogRecord(f"r{i}", "attempt", "m", ("+8613800138000",), "accepted", float(i), float(i)))
    assert store.log_prune(before=2.0) == 2
    assert [r.id for r in store.log_query(phone="+8613800138000")] == ["r2"]
    store.close()
