"""What only the PostgreSQL store does: versioned migrations, any event loop, no secrets in reprs."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from smsgate.stores import LogRecord
from smsgate.stores._pg_schema import MIGRATIONS
from smsgate.stores.postgres import PostgresStore


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
