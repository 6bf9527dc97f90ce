"""A store that fails mid-operation (server killed, file locked) raises a logged ``StoreError``, never hangs."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smsgate import StoreError
from smsgate.stores import LogRecord, SQLiteStore, Store
from tests.fixtures.postgres import PostgresServer, find_bindir
from tests.fixtures.redis import RedisServer

DEADLINE = 15.0  # far above every timeout in play: failing within it means no hang


def record(n: int) -> LogRecord:
    return LogRecord(f"r{n}", "attempt", f"m{n}", ("+8613800138000",), "pending", 1.0, 1.0, "aliyun")


def fails_promptly(call: Callable[[], object], operation: str, *, cause: bool = True) -> StoreError:
    start = time.monotonic()
    with pytest.raises(StoreError) as info:
        call()
    assert time.monotonic() - start < DEADLINE
    assert info.value.operation == operation and info.value.code == 46030
    assert (info.value.__cause__ is not None) is cause  # the driver's own error, when there is one
    return info.value


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to kill."""
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server is not installed"
    server = RedisServer(binary)
    yield server
    server.stop()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of this test's own, to kill."""
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL is not installed"
    server = PostgresServer(bindir)
    yield server
    server.close()


def test_redis_killed(own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    from smsgate.stores.redis import RedisStore

    store = RedisStore(own_redis.url, timeout=2.0)
    store.log_put(record(1))
    own_redis.process.kill()
    own_redis.process.wait()
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        error = fails_promptly(lambda: store.log_put(record(2)), "log_put")
    assert error.store == "RedisStore" and "log_put failed" in caplog.text
    fails_promptly(lambda: asyncio.run(store.aadmit([], ("k", "pending", 60.0), [])), "aadmit")
    store.close()


def test_postgres_killed(own_postgres: PostgresServer, caplog: pytest.LogCaptureFixture) -> None:
    from smsgate.stores.postgres import PostgresStore

    store = PostgresStore(own_postgres.dsn(), timeout=2.0)
    store.log_put(record(1))
    own_postgres.kill()
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        error = fails_promptly(lambda: store.log_put(record(2)), "log_put")
    assert error.store == "PostgresStore" and "log_put failed" in caplog.text
    fails_promptly(lambda: asyncio.run(store.aincr("n")), "aincr")
    fails_promptly(lambda: store.start([], ("c", "p", 60.0), [], [], [record(3)]), "start")
    fails_promptly(lambda: asyncio.run(store.astart([], None, [("w", 5, 60.0)], [], [record(4)])), "astart")
    store.close()


def test_postgres_unreachable_at_start() -> None:
    from smsgate.stores.postgres import PostgresStore
    from tests.fixtures.redis import free_port

    fails_promptly(lambda: PostgresStore(f"host=127.0.0.1 port={free_port()} user=x", timeout=1.0), "open")


def test_sqlite_locked_then_free_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStore(path, timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the file
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        fails_promptly(lambda: store.log_put(record(1)), "log_put")
        fails_promptly(lambda: asyncio.run(store.aset("k", "v")), "aset")
    assert "SQLiteStore: log_put failed: database is locked" in caplog.text
    other.execute("ROLLBACK")
    other.close()
    store.log_put(record(2))  # the writer carries on once the lock is gone
    assert [r.id for r in store.log_query()] == ["r2"]
    store.close()


def test_closed_sqlite_store_refuses(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    store.close()
    fails_promptly(lambda: store.set("k", "v"), "set", cause=False)


async def test_one_failing_operation_spares_its_batch(tmp_path: Path) -> None:
    """Operations committed together: one that fails is undone alone, the others are kept."""
    store = SQLiteStore(tmp_path / "s.db")
    store.set("text", "not a number")
    results = await asyncio.gather(
        *(store.alog_put(record(n)) for n in range(20)), store.aincr("text"), return_exceptions=True
    )
    assert isinstance(results[-1], ValueError) and results[:-1] == [None] * 20
    assert store.get("text") == "not a number"
    assert len(store.log_query()) == 20
    store.close()


async def test_concurrent_writes_share_commits(tmp_path: Path) -> None:
    """Group commit: 200 concurrent writes take fewer commits than writes, and all are durable."""
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    before = store.commits
    await asyncio.gather(*(store.alog_put(record(n)) for n in range(200)))
    assert store.commits - before < 200
    store.close()
    reopened: Store = SQLiteStore(path)
    assert len(reopened.log_query(limit=1000)) == 200
    reopened.close()
