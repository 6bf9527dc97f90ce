"""The SQLite writer: sync callers commit on their own thread, together when they queue meanwhile;
async callers are committed for by the writer's thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from smsgate import StoreError
from smsgate.stores import LogRecord, SQLiteStore
from tests.waits import await_until, wait_until


def record(n: int) -> LogRecord:
    return LogRecord(f"r{n}", "attempt", f"m{n}", ("+8613800138000",), "pending", 1.0, 1.0, "aliyun")


def test_a_sync_call_commits_on_its_own_thread(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    assert store._call(lambda db: threading.current_thread(), "test") is threading.current_thread()
    store.close()


def test_sync_callers_queued_meanwhile_share_one_commit(tmp_path: Path) -> None:
    """While one caller holds the connection, others queue; the next to take it commits them all."""
    store = SQLiteStore(tmp_path / "s.db")
    writer = store._writer
    before = store.commits
    with writer._turn:  # a commit in progress
        threads = [threading.Thread(target=store.log_put, args=(record(n),)) for n in range(8)]
        for thread in threads:
            thread.start()
        wait_until(lambda: writer._queue.qsize() == 8, what="eight queued writes")
    for thread in threads:
        thread.join(10)
    assert store.commits == before + 1
    assert sorted(r.id for r in store.log_query()) == [f"r{n}" for n in range(8)]
    store.close()


async def test_async_and_sync_callers_share_rounds(tmp_path: Path) -> None:
    """Async writes queued during a commit are taken by one round (of the writer's thread or of a
    sync caller's), and a sync write queued with them is answered too."""
    store = SQLiteStore(tmp_path / "s.db")
    writer = store._writer
    before = store.commits
    with writer._turn:  # a commit in progress
        pending = asyncio.gather(*(store.alog_put(record(n)) for n in range(3)))
        await await_until(lambda: writer._running, what="the writer's thread")
        sync = threading.Thread(target=store.log_put, args=(record(3),))
        sync.start()
    await pending
    await asyncio.to_thread(sync.join, 10)
    assert store.commits - before <= 2  # the async writes in one round, the sync one in it or its own
    assert sorted(r.id for r in store.log_query()) == ["r0", "r1", "r2", "r3"]
    await store.aclose()


async def test_without_fsync_async_callers_commit_on_their_loop(tmp_path: Path) -> None:
    """durability="process": no thread; the calls made in one turn of the loop share one commit."""
    store = SQLiteStore(tmp_path / "s.db", durability="process")
    before = store.commits
    here = threading.current_thread()
    threads = await asyncio.gather(*(store._acall(lambda db: threading.current_thread(), "test") for _ in range(20)))
    assert threads == [here] * 20 and store.commits == before + 1 and not store._writer._running
    await asyncio.gather(*(store.alog_put(record(n)) for n in range(5)), store.aset("k", "v"))
    assert len(await store.alog_query()) == 5 and await store.aget("k") == "v"
    await store.aclose()


def test_a_sync_call_alone_fails_alone(tmp_path: Path) -> None:
    """Committed at once (nothing queued): SQLite's errors become StoreError, a job's own error is
    raised as it is, and either undoes what the job did."""
    store = SQLiteStore(tmp_path / "s.db")

    def broken_sql(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO kv (key, value) VALUES ('a', '1')")
        db.execute("INSERT INTO nowhere VALUES (1)")

    def broken_job(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO kv (key, value) VALUES ('b', '1')")
        raise KeyError("mine")

    with pytest.raises(StoreError) as error:
        store._call(broken_sql, "broken_sql")
    assert error.value.operation == "broken_sql" and isinstance(error.value.__cause__, sqlite3.OperationalError)
    with pytest.raises(KeyError, match="mine"):
        store._call(broken_job, "broken_job")
    assert store.get_many(["a", "b"]) == [None, None] and store.commits == 1  # the get alone committed
    store.close()
