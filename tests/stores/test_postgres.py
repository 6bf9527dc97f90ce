"""What only the PostgreSQL store does: versioned migrations, any event loop, no secrets in reprs."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from functools import partial
from typing import Literal

import psycopg
import pytest

from smsgate.stores import LogRecord, MemoryStore, _pg_schema
from smsgate.stores._pg_schema import MIGRATIONS
from smsgate.stores.postgres import PostgresStore
from tests.fixtures.postgres import PostgresServer, find_bindir
from tests.waits import wait_until


def test_schema_created_once_and_versioned(postgres_dsn: str) -> None:
    first, second = PostgresStore(postgres_dsn), PostgresStore(postgres_dsn)  # the second finds it current
    assert first.schema_version == second.schema_version == len(MIGRATIONS)
    first.set("k", "v")
    assert second.get("k") == "v"
    with psycopg.connect(postgres_dsn) as conn:
        versions = conn.execute("SELECT version FROM smsgate_schema ORDER BY version").fetchall()
        assert versions == [(n,) for n in range(1, len(MIGRATIONS) + 1)]
    first.close()
    second.close()


def test_repr_hides_the_dsn(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn + " password=s3cret-pass")
    assert "s3cret" not in repr(store) and "127.0.0.1" not in repr(store)
    store.close()


def test_a_bad_durability_is_named(postgres_dsn: str) -> None:
    with pytest.raises(ValueError, match="durability must be 'machine' or 'process', not 'disk'"):
        PostgresStore(postgres_dsn, durability="disk")  # type: ignore[arg-type]
    store = PostgresStore(postgres_dsn, durability="process")
    assert repr(store).endswith("durability='process'>")
    store.close()


# Seen hanging, rarely and only inside long loaded full runs, in asyncio.run()'s final task
# cancellation (300 runs in a row under load do not reproduce it): bounded and retried while the
# cause is found, so a hang shows as a failure instead of stalling the suite.
@pytest.mark.timeout(60)
@pytest.mark.flaky(reruns=2)
def test_async_twins_work_from_any_event_loop(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)

    async def count() -> int:
        return await store.aincr("n", 1, 60)

    assert [asyncio.run(count()) for _ in range(3)] == [1, 2, 3]  # a pool per loop, never a stale one
    asyncio.run(store.aclose())


def test_phones_indexed_once_per_message(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    phones = tuple(f"+86138001380{i:02d}" for i in range(50))
    store.log_put(LogRecord("m", "message", "m", phones, "pending", 1.0, 1.0))
    for n in range(3):
        store.log_put(LogRecord(f"a{n}", "attempt", "m", phones, "pending", 2.0, 2.0, "aliyun"))
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM smsgate_log_phone").fetchone() == (50,)
    assert [r.id for r in store.log_query(phone=phones[7])] == ["m", "a0", "a1", "a2"]
    store.close()


def test_a_version_1_schema_is_migrated_and_keeps_its_data(postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pg_schema, "MIGRATIONS", MIGRATIONS[:1])
    old = PostgresStore(postgres_dsn)
    assert old.schema_version == 1
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:  # written as version 1 wrote it
        conn.execute("SELECT smsgate_put('k', 'v', NULL, 0)")
        data = LogRecord("m", "message", "m", ("+86138",), "pending", 1.0, 1.0).to_json()
        conn.execute(
            "SELECT smsgate_log_put('m', 'message', 'm', 'pending', NULL, 1, %s, %s, '{}')", (["+86138"], data)
        )
    old.close()
    monkeypatch.undo()
    new = PostgresStore(postgres_dsn)
    assert new.schema_version == len(MIGRATIONS) == 4
    assert new.get("k") == "v" and new.incr("n", 2) == 2
    assert [r.id for r in new.log_query(phone="+86138")] == ["m"]
    new.close()


def test_a_batch_runs_in_order_and_answers_each_call(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    record = LogRecord("m", "message", "m", ("+8613800138000",), "pending", 1.0, 1.0)
    calls = [
        ("set", ("k", "v", 60.0)),
        ("add", ("k", "w", 60.0)),
        ("get", ("k",)),
        ("incr", ("n", 3, None)),
        ("incr", ("n", 2, None)),
        ("log_put", (record,)),
        ("log_put", (LogRecord("m", "message", "m", record.phones, "accepted", 1.0, 2.0),)),  # the last one wins
        ("hit", ([("w", 1, 60.0)],)),
        ("hit", ([("w", 1, 60.0)],)),
        ("reserve", ("r", 1.0, 1, 5.0, 1000.0)),
        ("reserve", ("r", 1.0, 1, 5.0, 1000.0)),
        ("delete", ("k",)),
        ("get", ("k",)),
        ("log_query", ()),
    ]
    answers = store.run(calls)
    assert answers[:-1] == [None, "v", "v", 3, 5, None, None, None, 0, 0.0, 1.0, None, None]
    assert [(r.id, r.status) for r in answers[-1]] == [("m", "accepted")]
    store.write([LogRecord("x", "message", "x", record.phones, s, 1.0, 1.0) for s in ("pending", "failed")])
    assert [r.status for r in store.log_query(message_id="x")] == ["failed"]
    store.close()


@pytest.fixture(scope="module")
def durable_postgres() -> Iterator[PostgresServer]:
    """A cluster with fsync on, as in production: whether a commit waits for its WAL flush shows."""
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL is not installed"
    server = PostgresServer(bindir, durable=True)
    yield server
    server.close()


def wal_syncs(server: PostgresServer) -> int:
    with psycopg.connect(server.dsn()) as conn:
        row = conn.execute("SELECT wal_sync FROM pg_stat_wal").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("durability", ["machine", "process"])
def test_process_durability_commits_without_waiting_for_the_wal_flush(
    durable_postgres: PostgresServer, durability: Literal["machine", "process"]
) -> None:
    schema = f"d_{durability}_{os.getpid()}"
    durable_postgres.execute(f"CREATE SCHEMA {schema}")
    store = PostgresStore(durable_postgres.dsn(schema=schema), durability=durability)
    before = wal_syncs(durable_postgres)
    for n in range(100):
        store.write([LogRecord(f"m{n}", "message", f"m{n}", ("+8613800138000",), "pending", 1.0, 1.0)])
    store.close()  # its backends exit, reporting their WAL statistics
    reader = PostgresStore(durable_postgres.dsn(schema=schema))
    assert len(reader.log_query(limit=1000)) == 100
    reader.close()
    if durability == "machine":  # one flush per commit
        wait_until(lambda: wal_syncs(durable_postgres) - before >= 100, what="100 WAL flushes reported")
    else:  # only the WAL writer's own, every wal_writer_delay (200 ms)
        assert wal_syncs(durable_postgres) - before < 50


def test_a_window_given_twice_counts_twice_as_in_memory(postgres_dsn: str) -> None:
    stores = [MemoryStore(), PostgresStore(postgres_dsn)]
    twice = [("d", 3, 60.0), ("x", 9, 60.0), ("d", 3, 60.0)]
    for store in stores:
        assert [store.hit(twice), store.get("d"), store.hit(twice), store.get("d"), store.hit(twice)] == [
            None,
            "2",
            None,
            "4",
            0,
        ]
    stores[1].close()


def scans(dsn: str, table: str) -> tuple[int, int]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT seq_scan, idx_scan FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = %s",
            (table,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1] or 0)


def test_admits_and_records_look_keys_up_never_scanning(postgres_dsn: str) -> None:
    """As the tables grow, each admit and record is a few index lookups, not a scan of the table."""
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    for n in range(40):
        phones = tuple(f"+861380000{n:02d}{i:02d}" for i in range(50))
        store.write([LogRecord(f"m{n}", "message", f"m{n}", phones, "pending", 1.0, 1.0)])
        store.run([("set", (f"k{n}-{i}", "1", 60.0)) for i in range(50)])
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("ANALYZE smsgate_kv, smsgate_log")
    store.close()
    before = {table: scans(postgres_dsn, table) for table in ("smsgate_kv", "smsgate_log")}
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)  # a new session: plans made afresh
    for n in range(20):
        windows = [(f"w{n}", 5, 60.0), (f"h{n}", 50, 3600.0)]
        assert store.admit([f"b{n}"], (f"c{n}", "pending", 60.0), windows) is None
        message = LogRecord(f"x{n}", "message", f"x{n}", ("+8613800138000",), "pending", 1.0, 1.0)
        attempt = LogRecord(f"y{n}", "attempt", f"x{n}", ("+8613800138000",), "pending", 1.0, 1.0, "aliyun")
        store.write([message, attempt], keep=(f"c{n}", "sent", 60.0))
        assert store.reserve("rate", 0.001, 1000, 1.0, 1000.0) is not None
    store.close()  # its backend exits, reporting its table statistics
    for table, (seq, idx) in before.items():
        reported = partial(lambda t, i: scans(postgres_dsn, t)[1] > i, table, idx)
        wait_until(reported, what=f"{table}'s index scans reported")
        assert scans(postgres_dsn, table)[0] == seq, table


def test_a_version_2_schema_is_migrated_and_starts_sends(postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pg_schema, "MIGRATIONS", MIGRATIONS[:2])
    old = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    assert old.schema_version == 2
    old.write([LogRecord("m", "message", "m", ("+86138",), "pending", 1.0, 1.0)], keep=("k", "v", 60.0))
    assert old.admit([], None, [("w", 2, 60.0)]) is None
    old.close()
    monkeypatch.undo()
    new = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    assert new.schema_version == len(MIGRATIONS)
    assert new.get("k") == "v" and [r.id for r in new.log_query(phone="+86138")] == ["m"]
    pending = LogRecord("n", "message", "n", ("+86139",), "pending", 2.0, 2.0)
    assert new.start([], None, [("w", 2, 60.0)], [], [pending]) == (None, [], True)
    assert new.start([], None, [("w", 2, 60.0)], [], [pending]) == (("full", 0), [], False)
    assert [r.id for r in new.log_query(phone="+86139")] == ["n"]
    new.close()
