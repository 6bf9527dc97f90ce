"""Admissions and rate tokens queued together run as one job, each judged as it would be alone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from smsgate.stores import SQLiteStore


@pytest.mark.parametrize("durability", ["machine", "process"])
async def test_admissions_queued_together_are_judged_in_turn(tmp_path: Path, durability: str) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability=durability)  # type: ignore[arg-type]
    store.set("block:x", "1")
    before = store.commits
    answers = await asyncio.gather(
        *(store.aadmit([], (f"claim{n % 4}", f"p{n}", 60.0), [("w", 3, 60.0)]) for n in range(8)),
        store.aadmit(["block:x"], None, [("w", 99, 60.0)]),
    )
    assert store.commits - before < 9  # they shared commits
    assert answers[:3] == [None, None, None]  # three fit the window; the claim of the first three taken
    assert answers[3] == ("full", 0)  # claim3 is free, the window full
    assert answers[4:8] == [("claimed", "p0"), ("claimed", "p1"), ("claimed", "p2"), ("full", 0)]
    assert answers[8] == ("blocked", 0)
    assert store.get_many(["w", "claim0", "claim3"]) == ["3", "p0", None]
    store.close()


@pytest.mark.parametrize("durability", ["machine", "process"])
async def test_rate_tokens_queued_together_are_taken_in_turn(tmp_path: Path, durability: str) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability=durability)  # type: ignore[arg-type]
    waits = await asyncio.gather(*(store.areserve("rate", 1.0, 2, 1.5, 100.0) for _ in range(5)))
    assert waits == [0.0, 0.0, 1.0, None, None]  # a burst of two, one more within max_wait, then refused
    assert await store.areserve("other", 1.0, 1, 0.0, 100.0) == 0.0
    store.close()
