"""Counts by purpose and status over time, in every store: each verification counted once, in the status it ends in."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smsgate import Gateway, SmsError
from smsgate.stores import MemoryStore, Store
from smsgate.verify import PurposeStats, Verification, VerificationFailed, Verifier, VerifyPolicy

from .conftest import KEYS, PHONE, Clock, Harness, refused, wrong


def counts(h: Harness, purpose: str = "login", hours: int = 24) -> dict[str, int]:
    (found,) = h.verifier.stats([purpose], hours=hours)
    return found.counts


def test_every_status_is_counted_once(harness: Harness, clock: Clock) -> None:
    h = harness
    approved = h.verifier.start(PHONE, text="${code}")
    h.verifier.check(approved.id, h.code())
    refused(h, approved.id, h.code())  # used: not counted again
    canceled = h.verifier.start("13800138001", text="${code}")
    h.verifier.cancel(canceled.id)
    h.verifier.cancel(canceled.id)
    superseded = h.verifier.start("13800138002", text="${code}")
    h.verifier.start("13800138002", text="${code}")  # cancels the one before
    locked = h.verifier.start("13800138003", text="${code}")
    code = h.code()
    for _ in range(5):
        refused(h, locked.id, wrong(code))
    refused(h, locked.id, code)  # locked: the right code is refused and nothing more is counted
    expiring = h.verifier.start("13800138004", text="${code}", purpose="signup", ttl=120)
    assert counts(h) == {
        "started": 5,
        "approved": 1,
        "canceled": 2,
        "max_attempts_reached": 1,
        "pending": 1,
        "expired": 0,
    }
    assert h.verifier.get(superseded.id).status.value == "canceled"  # type: ignore[union-attr]
    assert h.verifier.get(locked.id).status.value == "max_attempts_reached"  # type: ignore[union-attr]
    assert counts(h, "signup")["pending"] == 1
    clock.advance(600)
    assert counts(h)["pending"] == 1  # until the end of the minute it expires in
    clock.advance(60)
    assert counts(h)["pending"] == 0 and counts(h)["expired"] == 1  # the newest login one
    assert counts(h, "signup") == {**dict.fromkeys(counts(h, "signup"), 0), "started": 1, "expired": 1}
    assert h.verifier.get(expiring.id).status.value == "expired"  # type: ignore[union-attr]


def test_purposes_are_listed_and_started_counted_by_hour(harness: Harness, clock: Clock) -> None:
    h = harness
    h.verifier.start(PHONE, text="${code}")
    clock.advance(3600)
    h.verifier.start(PHONE, text="${code}", purpose="signup")
    h.verifier.start("13800138001", text="${code}", purpose="signup")
    found = {s.purpose: s for s in h.verifier.stats(hours=3)}
    assert sorted(found) == ["login", "signup"]
    assert found["login"].started == [0, 1, 0] and found["signup"].started == [0, 0, 2]
    assert found["login"].counts["expired"] == 1
    assert h.verifier.stats(["login"], hours=1) == [PurposeStats("login", dict.fromkeys(found["login"].counts, 0), [0])]


def test_a_send_refused_before_it_left_counts_as_canceled(store: Store, clock: Clock) -> None:
    gateway = Gateway({"tencent": {"secret_id": "i", "secret_key": "k", "sdk_app_id": "1"}}, clock=clock)
    verifier = Verifier(gateway, store, keys=KEYS, clock=clock)
    with pytest.raises(SmsError):
        verifier.start(PHONE, text="no template for a template provider")
    (found,) = verifier.stats(["login"])
    assert found.counts["canceled"] == 1 and found.counts["pending"] == 0


def test_a_namespace_keeps_counts_of_its_own(store: Store, clock: Clock) -> None:
    one, two = Harness(store, clock), Harness(store, clock)
    two.verifier = Verifier(two.gateway, store, keys=KEYS, clock=clock, namespace="globex")
    one.verifier.start(PHONE, text="${code}")
    assert counts(one)["started"] == 1 and counts(two)["started"] == 0
    assert [s.purpose for s in two.verifier.stats()] == []


async def test_the_async_twin_counts_too(store: Store, clock: Clock) -> None:
    from smsgate.testing import memory_gateway
    from smsgate.verify import AsyncVerifier

    gateway = memory_gateway(asynchronous=True, clock=clock)
    verifier = AsyncVerifier(gateway, store, keys=KEYS, clock=clock)
    started = await verifier.start(PHONE, text="${code}")
    await verifier.cancel(started.id)
    (found,) = await verifier.stats()
    assert found.counts["canceled"] == 1 and found.started[-1] == 1
    await gateway.aclose()
    await store.aclose()


def test_no_code_nor_digest_in_the_counters(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    h = Harness(store, clock)
    v = h.verifier.start(PHONE, text="${code}")
    record = json.loads(store.get(f"verify:{v.id}") or "{}")
    stats = [k for k in store._data if ":stats:" in k]  # every key the counters made
    assert stats and all(h.code() not in k and record["digest"] not in k for k in stats)
    assert all(h.code() not in str(s) for s in h.verifier.stats())


_UNLIMITED = VerifyPolicy(max_attempts=2, sends_per_phone=None, sends_per_client=None, checks_per_phone=None)


def counted_status(verification: Verification | None, now: float) -> str:
    """The status the counters give ``verification``: an expired one stays pending until the end
    of the minute it expired in (the counters keep minutes, as documented in ``verify/_stats.py``)."""
    assert verification is not None
    status = verification.status.value
    if status == "expired" and now // 60 <= verification.expires_at // 60:
        return "pending"
    return status


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["start", "approve", "wrong", "cancel", "wait"]), max_size=25))
@example(["start", "wait", "wait"])  # expired at the very second the counters' minute began
def test_the_counts_match_every_verifications_own_status(clock: Clock, steps: list[str]) -> None:
    h = Harness(MemoryStore(clock=clock), clock, _UNLIMITED)
    ids: list[str] = []
    for step in steps:
        if step == "start":
            ids.append(h.verifier.start(PHONE, text="${code}").id)
        elif step == "wait":
            clock.advance(300)
        elif ids and step == "cancel":
            h.verifier.cancel(ids[-1])
        elif ids:
            with contextlib.suppress(VerificationFailed):
                h.verifier.check(ids[-1], h.code() if step == "approve" else wrong(h.code()))
    statuses = [counted_status(h.verifier.get(i), clock.now) for i in ids]
    found = counts(h, hours=720)
    assert found.pop("started") == len(ids)
    assert found == {s: statuses.count(s) for s in found}
