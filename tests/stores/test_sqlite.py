"""What only the SQLite store does: durability settings, purging, pruning the log."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.stores import LogRecord, MemoryStore, SQLiteStore
from smsgate.stores.base import Window

admissions = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["b1", "b2"]), max_size=2),  # blocklist keys asked
        st.none() | st.sampled_from(["c1", "c2"]),  # the claim
        st.lists(st.tuples(st.sampled_from(["w1", "w2", "w3"]), st.integers(1, 3), st.sampled_from([1.0, 5.0]))),
        st.sampled_from([0.0, 0.5, 2.0]),  # seconds that pass before it
        st.booleans(),  # a blocklist key set first
    ),
    max_size=25,
)


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


def test_a_lazy_write_survives_the_process(tmp_path: Path) -> None:
    """Lazy writes skip their own fsync, yet once returned they outlive a SIGKILL of the writer."""
    import os
    import signal
    import subprocess
    import sys

    path = tmp_path / "s.db"
    code = (
        "import sys, time\n"
        "from smsgate.stores import LogRecord, SQLiteStore\n"
        f"store = SQLiteStore({str(path)!r})\n"
        "store.write([LogRecord('m', 'message', 'm', ('+8613800138000',), 'accepted', 1.0, 1.0)],"
        " keep=('k', 'v', 60.0), lazy=True)\n"
        "print('written', flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stdout.readline() == b"written\n"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    store = SQLiteStore(path)
    assert [(r.id, r.status) for r in store.log_query()] == [("m", "accepted")] and store.get("k") == "v"
    store.close()


def test_close_releases_the_file_before_it_returns(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "smsgate.db"))
    store.set("k", "v")
    assert {p.name for p in tmp_path.iterdir()} >= {"smsgate.db-wal", "smsgate.db-shm"}  # the writer holds it
    store.close()
    assert [p.name for p in tmp_path.iterdir()] == ["smsgate.db"]  # checkpointed and closed, no waiting


async def test_aclose_releases_the_file_before_it_returns(tmp_path: Path) -> None:
    store = SQLiteStore(str(tmp_path / "smsgate.db"))
    await store.aset("k", "v")
    await store.aclose()
    assert [p.name for p in tmp_path.iterdir()] == ["smsgate.db"]


@settings(max_examples=60, deadline=None)
@given(admissions)
def test_admit_matches_the_generic_admit(steps: list[tuple[list[str], str | None, list[Window], float, bool]]) -> None:
    """SQLite's two-statement admit answers and counts as the contract's step-by-step one, expiry included."""
    now = [100.0]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite, memory = SQLiteStore(Path(tmp, "s.db"), clock=lambda: now[0]), MemoryStore(clock=lambda: now[0])
        for blocked, claim, windows, wait, block in steps:
            now[0] += wait
            if block:
                sqlite.set("b2", "1", ttl=1.0)
                memory.set("b2", "1", ttl=1.0)
            claiming = None if claim is None else (claim, "pending", 1.0)
            assert sqlite.admit(blocked, claiming, windows) == memory.admit(blocked, claiming, windows)
            keys = ["b1", "b2", "c1", "c2", "w1", "w2", "w3"]
            assert sqlite.get_many(keys) == memory.get_many(keys)
        sqlite.close()
