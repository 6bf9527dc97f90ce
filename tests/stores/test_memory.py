"""MemoryStore's own promises: a bounded send log whose receipt index shrinks with it."""

from __future__ import annotations

from smsgate import DeliveryReport, DeliveryStatus
from smsgate.stores import LogRecord, MemoryStore

PHONE = "+8613800138000"


def attempt(index: int, ref: str) -> LogRecord:
    record = LogRecord(f"a{index}", "attempt", f"m{index}", (PHONE,), "accepted", index, index, "aliyun")
    record.message_ids = {PHONE: ref}
    return record


def report(ref: str) -> DeliveryReport:
    return DeliveryReport("aliyun", ref, PHONE, DeliveryStatus.DELIVERED, "DELIVRD", received_at=1.0)


def test_a_report_for_a_record_pushed_out_of_the_log_is_kept_unmatched() -> None:
    store = MemoryStore(log_size=2)
    for index in range(4):
        store.log_put(attempt(index, f"biz-{index}"))
    old, new = report("biz-0"), report("biz-3")
    assert store.record_report(old) and store.record_report(new)
    assert (old.message_id, new.message_id) == (None, "m3")


def test_records_sharing_a_provider_id_match_the_newest_still_kept() -> None:
    store = MemoryStore(log_size=1000)
    for index in range(5000):  # a provider that answers every request with one id
        store.log_put(attempt(index, "same"))
    shared = report("same")
    assert store.record_report(shared)
    assert shared.message_id == "m4999"


def test_expired_keys_are_dropped_as_keys_are_written() -> None:
    now = [0.0]
    store = MemoryStore(clock=lambda: now[0])
    for index in range(30_000):
        store.set(f"claim:{index}", "x", ttl=1.0)
        now[0] += 0.001  # each key lives for the next thousand writes
    assert len(store._data) < 22_000  # a sweep once the writes since the last one reach max(10,000, the keys)
    assert store.get("claim:29999") == "x" and store.get("claim:0") is None
