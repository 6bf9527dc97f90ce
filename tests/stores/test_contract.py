"""The store contract, run against memory, SQLite, Redis and PostgreSQL alike."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import DeliveryReport, DeliveryStatus, InboundMessage
from smsgate.stores import LogRecord, MemoryStore, Store
from tests.waits import wait_until


def test_set_get_delete(store: Store) -> None:
    assert store.get("a") is None
    store.set("a", "1")
    assert store.get("a") == "1"
    store.set("a", "2")
    assert store.get_many(["a", "missing"]) == ["2", None]
    store.delete("a")
    assert store.get("a") is None


def test_incr_counts_down_too(store: Store) -> None:
    assert store.incr("open", 2, ttl=60) == 2
    assert store.run([("incr", ("open", -1, 60)), ("incr", ("open", -1, 60))]) == [1, 0]
    assert store.incr("fresh", -1, ttl=60) == -1  # a counter made by a decrement starts at zero


def test_add_only_when_absent(store: Store) -> None:
    assert store.add("k", "first", ttl=60) is None
    assert store.add("k", "second", ttl=60) == "first"
    assert store.get("k") == "first"


def test_ttl_expires(store: Store) -> None:
    store.set("short", "x", ttl=1.0)
    store.add("claim", "x", ttl=1.0)
    assert store.get("short") == "x"
    wait_until(lambda: store.get_many(["short", "claim"]) == [None, None], what="both to expire")
    assert store.add("claim", "y", ttl=60) is None


def test_incr_sets_ttl_only_on_create(store: Store) -> None:
    assert store.incr("c", ttl=1.0) == 1
    assert store.incr("c", 4, ttl=60) == 5
    wait_until(lambda: store.get("c") is None, what="the counter to expire")
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
    assert store.hit([("w", 1, 1.0)]) is None
    assert store.hit([("w", 1, 1.0)]) == 0
    wait_until(lambda: store.get("w") is None, what="the window to expire")
    assert store.hit([("w", 1, 1.0)]) is None


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


def test_log_query_newest_first_by_status_and_paged(store: Store) -> None:
    for n, status in enumerate(["accepted", "failed", "accepted", "failed", "accepted"]):
        store.log_put(record(f"a{n}", f"m{n}", ("+8613800138000",), 10.0 + n, status=status))
    assert [r.id for r in store.log_query(newest_first=True, limit=2)] == ["a4", "a3"]
    assert [r.id for r in store.log_query(newest_first=True, until=12.0, limit=2)] == ["a2", "a1"]  # the next page
    assert [r.id for r in store.log_query(status="failed")] == ["a1", "a3"]
    assert [r.id for r in store.log_query(status="failed", newest_first=True, limit=1)] == ["a3"]
    assert [r.id for r in store.log_query(phone="+8613800138000", status="accepted", newest_first=True)] == [
        "a4",
        "a2",
        "a0",
    ]


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


def test_start_admits_takes_tokens_then_writes(store: Store) -> None:
    phone = "+8613800138000"
    message = LogRecord("sm", "message", "sm", (phone,), "pending", 1.0, 1.0)
    pending = record("sa", "sm", (phone,), 1.0)
    tokens = [("rate:a", 1.0, 1, 0.0, 100.0), ("rate:b", 0.5, 2, 5.0, 100.0)]
    started = store.start(
        [], ("claim", "pending:d", 60.0), [("w", 5, 60.0)], tokens, [message, pending], ("claim", "sent", 60.0)
    )
    assert started == (None, [0.0, 0.0], True)
    assert store.get_many(["claim", "w"]) == ["sent", "1"]
    assert {r.id: r.status for r in store.log_query(message_id="sm")} == {"sm": "pending", "sa": "pending"}
    assert store.reserve("rate:a", 1.0, 1, 0.0, 100.0) is None  # the token was taken


def test_start_refused_changes_nothing(store: Store) -> None:
    store.set("claim", "pending:other")
    tokens = [("rate:r", 1.0, 1, 0.0, 100.0)]
    pending = record("rr", "rm", ("+8613800138000",), 1.0)
    started = store.start([], ("claim", "pending:d", 60.0), [("wr", 5, 60.0)], tokens, [pending], ("claim", "x", 9.0))
    assert started == (("claimed", "pending:other"), [], False)
    assert store.get_many(["claim", "wr"]) == ["pending:other", None] and store.log_query(message_id="rm") == []
    assert store.reserve("rate:r", 1.0, 1, 0.0, 100.0) == 0.0  # no token was taken


def test_start_with_a_refused_token_writes_nothing(store: Store) -> None:
    assert store.reserve("rate:full", 10.0, 1, 0.0, 100.0) == 0.0
    tokens = [("rate:free", 1.0, 1, 0.0, 100.0), ("rate:full", 10.0, 1, 0.0, 100.0)]
    pending = record("rt", "rtm", ("+8613800138000",), 1.0)
    started = store.start([], ("ct", "pending:d", 60.0), [("wt", 5, 60.0)], tokens, [pending], ("ct", "sent", 60.0))
    assert started == (None, [0.0, None], False)
    assert store.get_many(["ct", "wt"]) == ["pending:d", "1"]  # admitted, as admit alone would
    assert store.log_query(message_id="rtm") == []


async def test_async_start_agrees(store: Store) -> None:
    pending = record("as", "asm", ("+8613800138000",), 1.0)
    started = await store.astart(["block:none"], None, [], [("rate:x", 1.0, 3, 0.0, 1.0)], [pending], None)
    assert started == (None, [0.0], True)
    assert [r.id for r in await store.alog_query(message_id="asm")] == ["as"]
    store.set("block:yes", "1")
    assert await store.astart(["block:yes"], None, [], [], [record("nb", "nbm", ("+1",), 1.0)]) == (
        ("blocked", 0),
        [],
        False,
    )
    assert await store.alog_query(message_id="nbm") == []
    assert await store.astart([], None, []) == (None, [], True)
    await store.aclose()


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


@pytest.mark.parametrize("lazy", [False, True])
async def test_write_puts_records_then_keeps_and_forgets(store: Store, lazy: bool) -> None:
    """Durable or lazy, a write is visible once it returned (sync and async alike)."""
    phone = "+8613800138000"
    store.set("gone", "x")
    pending = record("w1", "wm", (phone,), 1.0)
    message = LogRecord("wm", "message", "wm", (phone,), "pending", 1.0, 1.0)
    store.write([message, pending], keep=("claim", "sent", 60.0), lazy=lazy)
    assert sorted(r.id for r in store.log_query(phone=phone)) == ["w1", "wm"] and store.get("claim") == "sent"
    pending.status = "accepted"
    await store.awrite([pending], keep=("claim", "done", 60.0), forget="gone", lazy=lazy)
    assert {r.id: r.status for r in await store.alog_query(message_id="wm")} == {"wm": "pending", "w1": "accepted"}
    assert await store.aget_many(["claim", "gone"]) == ["done", None]
    await store.aclose()


def test_write_behind_is_seen_by_the_next_read(store: Store) -> None:
    """Whenever the store makes it, reads through the same store object see it at once."""
    phone = "+8613800138000"
    store.set("gone", "x")
    pending = record("b1", "bm", (phone,), 1.0)
    store.write([pending], keep=("claim", "sent", 60.0))
    pending.status = "accepted"
    store.write_behind([pending], keep=("claim", "done", 60.0), forget="gone")
    assert [r.status for r in store.log_query(message_id="bm")] == ["accepted"]
    assert store.get_many(["claim", "gone"]) == ["done", None]


def delivered(phone: str, provider_message_id: str | None, status: str = "DELIVRD", **extra: Any) -> DeliveryReport:
    state = DeliveryStatus.DELIVERED if status == "DELIVRD" else DeliveryStatus.FAILED
    return DeliveryReport("aliyun", provider_message_id, phone, state, status, received_at=100.0, **extra)


def sent(store: Store, message_id: str, ids: dict[str, str], provider: str = "aliyun") -> None:
    """A message and its accepted attempt, as the send path logs them."""
    phones = tuple(ids)
    store.log_put(LogRecord(message_id, "message", message_id, phones, "accepted", 1.0, 1.0, message_ids=dict(ids)))
    store.log_put(LogRecord(f"{message_id}-a", "attempt", message_id, phones, "accepted", 1.0, 1.0, provider, 1))
    attempt = LogRecord(f"{message_id}-a", "attempt", message_id, phones, "accepted", 1.0, 2.0, provider, 1)
    attempt.message_ids = dict(ids)
    store.log_put(attempt)


def test_report_matched_to_its_message_once(store: Store) -> None:
    sent(store, "m1", {"+8613800138000": "biz-1", "+8613800138001": "biz-1"})
    report = delivered("+8613800138000", "biz-1", error_code=None, segments=1)
    assert store.record_report(report) is True
    assert report.message_id == "m1"
    again = delivered("+8613800138000", "biz-1")
    assert store.record_report(again) is False  # the same push twice: kept once, nothing changed
    assert again.message_id is None
    [kept] = store.reports(message_id="m1")
    assert kept.to_dict() == report.to_dict()
    [message] = [r for r in store.log_query(message_id="m1") if r.kind == "message"]
    assert message.deliveries == {"+8613800138000": "delivered"}


def test_latest_report_wins_and_reports_are_newest_first(store: Store) -> None:
    sent(store, "m2", {"+8613800138000": "b-0", "+8613800138001": "b-1"})
    store.record_report(delivered("+8613800138000", "b-0", status="UNDELIV"))
    store.record_report(delivered("+8613800138001", "b-1"))
    store.record_report(delivered("+8613800138000", "b-0", status="DELIVRD"))
    [message] = [r for r in store.log_query(message_id="m2") if r.kind == "message"]
    assert message.deliveries == {"+8613800138000": "delivered", "+8613800138001": "delivered"}
    statuses = [(r.phone, r.provider_status) for r in store.reports(message_id="m2")]
    assert statuses == [("+8613800138000", "DELIVRD"), ("+8613800138001", "DELIVRD"), ("+8613800138000", "UNDELIV")]
    assert [r.provider_status for r in store.reports(phone="+8613800138000", limit=1)] == ["DELIVRD"]


def test_unmatched_reports_are_kept(store: Store) -> None:
    sent(store, "m3", {"+8613800138000": "biz-3"}, provider="aliyun")
    wrong_phone = delivered("+8613800138009", "biz-3")
    other_provider = DeliveryReport("tencent", "biz-3", "+8613800138000", DeliveryStatus.DELIVERED, "SUCCESS")
    no_id = delivered("+8613800138000", None)
    for report in (wrong_phone, other_provider, no_id):
        assert store.record_report(report) is True
        assert report.message_id is None
    assert len(store.reports()) == 3 and store.reports(message_id="m3") == []
    assert [r.provider for r in store.reports(phone="+8613800138000")] == ["aliyun", "tencent"]
    [message] = [r for r in store.log_query(message_id="m3") if r.kind == "message"]
    assert message.deliveries == {}


def test_inbound_kept_once_by_provider_id(store: Store) -> None:
    first = InboundMessage("aliyun", "+8613800138000", "1069", "STOP", 5.0, provider_message_id="in-1")
    assert store.record_inbound(first) is True
    assert store.record_inbound(InboundMessage("aliyun", "+8613800138000", "1069", "STOP", 6.0, "in-1")) is False
    assert store.record_inbound(InboundMessage("tencent", "+8613800138000", None, "hi", 7.0, "in-1")) is True
    assert store.record_inbound(InboundMessage("aliyun", "+8613800138001", None, "no id", 8.0)) is True
    assert store.record_inbound(InboundMessage("aliyun", "+8613800138001", None, "no id", 8.0)) is True
    assert [m.text for m in store.inbound(phone="+8613800138000")] == ["hi", "STOP"]
    assert [m.to_dict() for m in store.inbound(phone="+8613800138000")][1] == first.to_dict()
    assert len(store.inbound()) == 4 and len(store.inbound(limit=2)) == 2


async def test_async_report_twins(store: Store) -> None:
    sent(store, "m4", {"+8613800138000": "biz-4"})
    report = delivered("+8613800138000", "biz-4")
    assert await store.arecord_report(report) is True and report.message_id == "m4"
    assert await store.arecord_report(delivered("+8613800138000", "biz-4")) is False
    assert [r.message_id for r in await store.areports(phone="+8613800138000")] == ["m4"]
    assert await store.arecord_inbound(InboundMessage("aliyun", "+8613800138000", None, "ok", 1.0, "x")) is True
    assert [m.text for m in await store.ainbound()] == ["ok"]
    await store.aclose()
