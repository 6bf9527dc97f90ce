"""The store contract, run against memory, SQLite and Redis alike."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.stores import LogRecord, MemoryStore, Store


def test_set_get_delete(store: Store) -> None:
    assert store.get("a") is None
    store.set("a", "1")
    assert store.get("a") == "1"
    store.set("a", "2")
    assert store.get_many(["a", "missing"]) == ["2", None]
    store.delete("a")
    assert store.get("a") is None


def test_add_only_when_absent(store: Store) -> None:
    assert store.add("k", "first", ttl=60) is None
    assert store.add("k", "second", ttl=60) == "first"
    assert store.get("k") == "first"


def test_ttl_expires(store: Store) -> None:
    store.set("short", "x", ttl=0.05)
    store.add("claim", "x", ttl=0.05)
    assert store.get("short") == "x"
    time.sleep(0.12)
    assert store.get("short") is None
    assert store.add("claim", "y", ttl=60) is None


def test_incr_sets_ttl_only_on_create(store: Store) -> None:
    assert store.incr("c", ttl=0.2) == 1
    assert store.incr("c", 4, ttl=60) == 5
    time.sleep(0.3)
    assert store.incr("c") == 1  # the window was fixed at creation, not refreshed


def test_hit_is_all_or_nothing(store: Store) -> None:
    windows = [("m", 2, 60.0), ("h", 3, 60.0)]
    assert store.hit(windows) is None
    assert store.hit(windows) is None
    assert store.hit(windows) == 0  # minute window full: nothing counted
    assert store.get_many(["m", "h"]) == ["2", "2"]
    assert store.hit([("other", 5, 60.0), ("h", 2, 60.0)]) == 1
    assert store.get("other") is None


def test_hit_window_expires(store: Store) -> None:
    assert store.hit([("w", 1, 0.1)]) is None
    assert store.hit([("w", 1, 0.1)]) == 0
    time.sleep(0.2)
    assert store.hit([("w", 1, 0.1)]) is None


def test_reserve_burst_then_spaced(store: Store) -> None:
    now = 1000.0
    assert store.reserve("b", 0.5, 2, 10.0, now) == 0.0
    assert store.reserve("b", 0.5, 2, 10.0, now) == 0.0
    assert store.reserve("b", 0.5, 2, 10.0, now) == pytest.approx(0.5)
    assert store.reserve("b", 0.5, 2, 10.0, now) == pytest.approx(1.0)
    assert store.reserve("b", 0.5, 2, 0.9, now) is None  # would wait 1.5 s: refused, nothing taken
    assert store.reserve("b", 0.5, 2, 10.0, now) == pytest.approx(1.5)
    assert store.reserve("b", 0.5, 2, 10.0, now + 100) == 0.0  # refilled


def record(id: str, message_id: str, phones: tuple[str, ...], at: float, status: str = "pending") -> LogRecord:
    return LogRecord(id, "attempt", message_id, phones, status, at, at, provider="p")


def test_log_put_replaces_and_queries(store: Store) -> None:
    store.log_put(record("a1", "m1", ("+8613800138000",), 10.0))
    store.log_put(record("a2", "m1", ("+8613800138001", "+8613800138000"), 11.0))
    store.log_put(record("a3", "m2", ("+8613800138001",), 12.0))
    done = record("a1", "m1", ("+8613800138000",), 10.0, status="accepted")
    done.message_ids = {"+8613800138000": "xyz"}
    done.error = None
    store.log_put(done)

    assert [r.id for r in store.log_query(message_id="m1")] == ["a1", "a2"]
    assert store.log_query(message_id="m1")[0].status == "accepted"
    assert store.log_query(message_id="m1")[0].message_ids == {"+8613800138000": "xyz"}
    assert [r.id for r in store.log_query(phone="+8613800138001")] == ["a2", "a3"]
    assert [r.id for r in store.log_query(since=11.0)] == ["a2", "a3"]
    assert [r.id for r in store.log_query(until=11.0)] == ["a1", "a2"]
    assert [r.id for r in store.log_query(phone="+8613800138000", message_id="m1", since=10.5)] == ["a2"]
    assert [r.id for r in store.log_query(limit=1)] == ["a1"]
    assert store.log_query(message_id="none") == []


def test_hit_under_threads(store: Store) -> None:
    admitted = []

    def worker() -> None:
        for _ in range(10):
            if store.hit([("race", 7, 60.0)]) is None:
                admitted.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 7
    assert store.get("race") == "7"


async def test_async_twins_agree(store: Store) -> None:
    assert await store.aadd("x", "1", 60) is None
    assert await store.aadd("x", "2", 60) == "1"
    assert await store.aget("x") == "1"
    assert await store.aget_many(["x", "y"]) == ["1", None]
    await store.aset("y", "5")
    assert await store.aincr("n", 2, 60) == 2
    assert await store.ahit([("w", 1, 60.0)]) is None
    assert await store.ahit([("w", 1, 60.0)]) == 0
    assert await store.areserve("t", 1.0, 1, 5.0, 50.0) == 0.0
    assert await store.areserve("t", 1.0, 1, 5.0, 50.0) == pytest.approx(1.0)
    await store.alog_put(record("q", "mq", ("+8613800138000",), 5.0))
    assert [r.id for r in await store.alog_query(phone="+8613800138000")] == ["q"]
    await store.adelete("x")
    assert await store.aget("x") is None
    await store.aclose()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 3)), max_size=30))
def test_hit_matches_a_model(ops: list[tuple[int, int]]) -> None:
    """Against a plain model: a hit is admitted iff every named counter is below its limit."""
    store = MemoryStore()
    model: dict[str, int] = {}
    for limit, which in ops:
        windows = [(f"k{which}", limit, 60.0), ("shared", 6, 60.0)]
        expected = next((i for i, (k, lim, _) in enumerate(windows) if model.get(k, 0) >= lim), None)
        assert store.hit(windows) == expected
        if expected is None:
            for k, _lim, _ttl in windows:
                model[k] = model.get(k, 0) + 1


def test_admit_checks_blocklist_claim_and_windows_in_order(store: Store) -> None:
    windows = [("w1", 1, 60.0), ("w2", 5, 60.0)]
    assert store.admit([], ("claim", "pending", 60.0), windows) is None
    assert store.get_many(["claim", "w1", "w2"]) == ["pending", "1", "1"]
    assert store.admit([], ("claim", "pending", 60.0), windows) == ("claimed", "pending")
    assert store.admit([], ("other", "pending", 60.0), windows) == ("full", 0)
    assert store.get("other") is None  # refused: the claim was not left behind
    store.set("block:x", "1")
    assert store.admit(["block:y", "block:x"], ("third", "p", 60.0), [("w3", 9, 60.0)]) == ("blocked", 1)
    assert store.get_many(["third", "w3"]) == [None, None]
    assert store.admit([], None, []) is None


def test_run_batches_in_order(store: Store) -> None:
    rec = record("r1", "m", ("+8613800138000",), 1.0)
    assert store.run([("set", ("k", "v", 60.0)), ("log_put", (rec,)), ("get", ("k",)), ("delete", ("k",))]) == [
        None,
        None,
        "v",
        None,
    ]
    assert store.get("k") is None and [r.id for r in store.log_query(message_id="m")] == ["r1"]
    assert store.run([("incr", ("n", 2, None)), ("add", ("n", "x", None))]) == [2, "2"]  # not batchable: in turn


async def test_async_admit_and_run(store: Store) -> None:
    assert await store.aadmit([], ("c", "pending", 60.0), [("w", 1, 60.0)]) is None
    assert await store.aadmit([], ("c2", "pending", 60.0), [("w", 1, 60.0)]) == ("full", 0)
    rec = record("ar", "am", ("+8613800138000",), 1.0)
    assert await store.arun([("set", ("c", "done", 60.0)), ("log_put", (rec,)), ("get", ("c",))]) == [
        None,
        None,
        "done",
    ]
    assert [r.id for r in await store.alog_query(message_id="am")] == ["ar"]
    await store.aclose()
