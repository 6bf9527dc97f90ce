"""PostgreSQL's group commit: one loop's queued writes share a transaction; a bad one fails alone."""

from __future__ import annotations

import asyncio

import pytest

from smsgate import StoreError
from smsgate.stores import LogRecord

PHONE = "+8613800138000"


def test_queued_writes_share_a_commit_and_a_bad_one_fails_alone(postgres_dsn: str) -> None:
    from smsgate.stores.postgres import PostgresStore

    store = PostgresStore(postgres_dsn)
    good = [LogRecord(f"m{n}", "message", f"m{n}", (PHONE,), "pending", 1.0, 1.0) for n in range(100)]
    bad = LogRecord("bad", "message", "bad", ("+86138\x00",), "pending", 1.0, 1.0)  # text cannot hold NUL

    async def main() -> list[object]:
        await asyncio.gather(*(store.awrite([r], keep=(f"k{r.id}", "v", 60.0)) for r in good[:50]))
        assert store._awriter is not None and store._awriter.commits < 50
        writes = [store.awrite([r], keep=(f"k{r.id}", "v", 60.0)) for r in good[50:]]
        bad_write = store.awrite([bad], keep=("kbad", "v", 60.0))
        results: list[object] = await asyncio.gather(*writes[:25], bad_write, *writes[25:], return_exceptions=True)
        await store.aclose()
        return results

    results = asyncio.run(main())
    assert isinstance(results[25], StoreError) and results[:25] + results[26:] == [None] * 50
    again = PostgresStore(postgres_dsn)
    assert len(again.log_query(phone=PHONE, limit=1000)) == 100
    assert again.get("km7") == "v" and again.get("kbad") is None
    with pytest.raises(StoreError):
        again.log_put(bad)
    again.close()


def test_writes_from_another_loop_commit_too(postgres_dsn: str) -> None:
    from smsgate.stores.postgres import PostgresStore

    store = PostgresStore(postgres_dsn)
    for n in range(2):  # each asyncio.run is a new loop: a writer of its own
        asyncio.run(store.awrite([LogRecord(f"m{n}", "message", f"m{n}", (PHONE,), "pending", 1.0, 1.0)]))
    assert [r.id for r in store.log_query(phone=PHONE)] == ["m0", "m1"]
    store.close()
