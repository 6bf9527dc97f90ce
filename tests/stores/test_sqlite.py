"""What only the SQLite store does: durability settings, purging, pruning the log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.stores import LogRecord, MemoryStore, SQLiteStore
from smsgate.stores.base import Window
from tests.fakes.server import FakeServer, Received
from tests.fakes.tencent import TencentFake
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]

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


def test_process_durability_never_fsyncs(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability="process")
    assert store._call(lambda db: db.execute("PRAGMA synchronous").fetchone()[0], "test") == 1  # NORMAL
    store.log_put(LogRecord("m", "message", "m", ("+8613800138000",), "pending", 1.0, 1.0))  # not lazy
    assert store._call(lambda db: db.execute("PRAGMA synchronous").fetchone()[0], "test") == 1
    assert "durability='process'" in repr(store)
    store.close()
    with pytest.raises(ValueError, match="durability"):
        SQLiteStore(tmp_path / "s.db", durability="power")  # type: ignore[arg-type]


@pytest.mark.parametrize("durability", ["machine", "process"])
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_sigkill_mid_send_loses_no_sent_request(durability: str, mode: str, tmp_path: Path) -> None:
    """One-phone sends killed midway: every phone the provider received has its attempt in the log."""
    fake = TencentFake()

    async def slow(request: Received) -> web.Response:
        import asyncio

        await asyncio.sleep(0.005)  # slow enough that the kill lands mid-send
        return await fake.handle(request)

    log = tmp_path / "sends.db"
    count = 400
    with FakeServer(slow) as server:
        fake.server = server
        args = [json.dumps(fake.settings()), str(log), str(count), durability, mode]
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.fixtures.send_worker", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
        )
        wait_until(lambda: len(server.requests) >= 30 or worker.poll() is not None, timeout=30, what="30 requests")
        os.kill(worker.pid, signal.SIGKILL)
        _, err = worker.communicate(timeout=10)
        assert worker.returncode == -signal.SIGKILL, err.decode()
        received = {p for r in server.requests for p in r.json()["PhoneNumberSet"]}  # any later one too is logged

    assert 30 <= len(received) < count  # killed midway
    store = SQLiteStore(log)
    attempts = [r for r in store.log_query(limit=10_000) if r.kind == "attempt"]
    assert received <= {phone for r in attempts for phone in r.phones}  # each recorded before it left
    assert {r.status for r in attempts} <= {"pending", "accepted"}
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
