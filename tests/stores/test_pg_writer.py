"""PostgreSQL's group commit: one loop's queued writes share a transaction; a bad one fails alone."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from smsgate import StoreError
from smsgate.stores import LogRecord
from smsgate.stores.base import Refusal

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


def test_concurrent_admits_share_commits_and_stay_exact(postgres_dsn: str) -> None:
    """Two stores (two machines), each with 100 admits in flight over the same two windows, taken in
    opposite orders: batches lock every key first, in one order, so exactly the limit is admitted."""
    from smsgate.stores.postgres import PostgresStore

    stores = [PostgresStore(postgres_dsn, clock=lambda: 1000.0) for _ in range(2)]
    windows = [("a", 30, 60.0), ("b", 1000, 60.0)]

    def admits(store: PostgresStore, order: list[tuple[str, int, float]]) -> list[Refusal | None]:
        async def main() -> list[Refusal | None]:
            answers = await asyncio.gather(
                *(store.aadmit([], (f"c{id(order)}-{n}", "v", 60.0), order) for n in range(100))
            )
            assert store._awriter is not None and 0 < store._awriter.commits < 100
            await store.aclose()
            return list(answers)

        return asyncio.run(main())

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(admits, stores, [windows, windows[::-1]])
    assert [a is None for a in first + second].count(True) == 30
    assert {(r.kind, r.detail) for r in first if r is not None} <= {("full", 0)}
    assert {(r.kind, r.detail) for r in second if r is not None} <= {("full", 1)}
    again = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    assert again.get_many(["a", "b"]) == ["30", "30"]
    again.close()
