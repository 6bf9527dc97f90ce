"""Checking codes, on every store: one answer for every failure, exact counts, constant time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate.stores import Store
from smsgate.verify import Budget, VerificationFailed, VerificationStatus, Verifier, VerifyPolicy

from .conftest import KEYS, PHONE, STORES, Clock, Harness, open_store, refused, wrong


def test_right_code_approves_once(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    approved = harness.verifier.check(v.id, harness.code())
    assert approved.approved and approved.attempts == 1
    refused(harness, v.id, harness.code())  # single use
    assert harness.verifier.get(v.id).status is VerificationStatus.APPROVED  # type: ignore[union-attr]


def test_sixth_check_refused_even_with_the_right_code(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    for _ in range(5):
        refused(harness, v.id, wrong(harness.code()))
    refused(harness, v.id, harness.code())
    found = harness.verifier.get(v.id)
    assert found is not None and found.status is VerificationStatus.MAX_ATTEMPTS_REACHED and found.attempts == 5


def test_fifth_check_may_still_be_right(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    for _ in range(4):
        refused(harness, v.id, wrong(harness.code()))
    assert harness.verifier.check(v.id, harness.code()).attempts == 5


def test_expired_code_gets_the_generic_answer_and_counts_nothing(harness: Harness, clock: Clock) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    clock.advance(600)
    error = refused(harness, v.id, harness.code())
    assert error.to_dict() == VerificationFailed().to_dict()
    found = harness.verifier.get(v.id)
    assert found is not None and found.status is VerificationStatus.EXPIRED and found.attempts == 0


def test_state_is_checked_before_the_code(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    harness.verifier.check(v.id, harness.code())
    for _ in range(3):
        refused(harness, v.id, wrong(harness.code()))
    assert harness.verifier.get(v.id).attempts == 1  # type: ignore[union-attr]


def test_bound_to_phone_and_purpose(harness: Harness) -> None:
    harness.verifier.start(PHONE, template="SMS_1", purpose="signup")
    code = harness.code()
    with pytest.raises(VerificationFailed):
        harness.verifier.check_phone(PHONE, code, purpose="login")
    with pytest.raises(VerificationFailed):
        harness.verifier.check_phone("13900139000", code, purpose="signup")
    assert harness.verifier.check_phone("+86 138 0013 8000", code, purpose="signup").approved


def test_cancel(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    assert harness.verifier.cancel(v.id).status is VerificationStatus.CANCELED  # type: ignore[union-attr]
    refused(harness, v.id, harness.code())
    assert harness.verifier.cancel("no-such-id") is None and harness.verifier.get("no-such-id") is None


def test_check_budget_per_phone_across_verifications(store: Store, clock: Clock) -> None:
    h = Harness(store, clock, VerifyPolicy(checks_per_phone=Budget(3), sends_per_phone=None))
    v = h.verifier.start(PHONE, template="SMS_1")
    for _ in range(2):
        refused(h, v.id, wrong(h.code()))
    v = h.verifier.start(PHONE, template="SMS_1")
    refused(h, v.id, wrong(h.code()))
    refused(h, v.id, h.code())  # over the phone's budget: the right code is refused too
    assert h.verifier.get(v.id).attempts == 1  # type: ignore[union-attr]


def test_every_failure_is_the_same_answer(store: Store, clock: Clock) -> None:
    h = Harness(store, clock, VerifyPolicy(sends_per_phone=None, checks_per_phone=None))
    answers = []

    def failure(vid: str, code: str) -> tuple[object, ...]:
        with pytest.raises(VerificationFailed) as info:
            h.verifier.check(vid, code)
        e = info.value
        return (type(e), str(e), repr(e), e.args, e.to_dict(), sorted(vars(e)))

    wrong_code = h.verifier.start(PHONE, template="SMS_1", purpose="a")
    answers.append(failure(wrong_code.id, wrong(h.code())))
    locked = h.verifier.start(PHONE, template="SMS_1", purpose="b")
    for _ in range(5):
        failure(locked.id, wrong(h.code()))
    answers.append(failure(locked.id, h.code()))
    expired = h.verifier.start(PHONE, template="SMS_1", purpose="c")
    clock.advance(601)
    answers.append(failure(expired.id, h.code()))
    answers.append(failure("no-such-verification", h.code()))
    used = h.verifier.start(PHONE, template="SMS_1", purpose="d")
    h.verifier.check(used.id, h.code())
    answers.append(failure(used.id, h.code()))
    assert all(answer == answers[0] for answer in answers)


def _spread(fn: object, inputs: list[object], rounds: int = 150, batch: int = 40) -> float:
    """Max over min of the per-input median time of ``fn(input)``, measured in interleaved rounds."""
    import random
    import statistics

    call = fn  # type: ignore[assignment]
    samples: list[list[float]] = [[] for _ in inputs]
    order = list(range(len(inputs)))
    for _ in range(rounds):
        random.shuffle(order)
        for i in order:
            arg = inputs[i]
            start = time.perf_counter_ns()
            for _ in range(batch):
                call(arg)  # type: ignore[operator]
            samples[i].append((time.perf_counter_ns() - start) / batch)
    medians = [statistics.median(s) for s in samples]
    return max(medians) / min(medians)


def test_comparison_time_does_not_depend_on_matching_leading_digits(clock: Clock) -> None:
    from smsgate.stores import MemoryStore
    from smsgate.verify._record import Record

    h = Harness(MemoryStore(clock=clock), clock)
    v = h.verifier.start(PHONE, template="SMS_1")
    code = h.code()
    record = Record.loads(h.verifier.store.get(f"verify:{v.id}"))
    assert record is not None
    # 0…5 leading digits right (the rest wrong), then the right code
    codes = [code[:k] + "".join(str((int(d) + 1) % 10) for d in code[k:]) for k in range(6)] + [code]
    assert [h.verifier.matches(v.id, record, c) for c in codes] == [False] * 6 + [True]
    spread = _spread(lambda c: h.verifier.matches(v.id, record, c), codes)  # type: ignore[arg-type]
    # the same measurement sees an early-exit comparison of long values plainly
    big = b"x" * 200_000
    leaky = _spread(lambda other: big == other, [b"y" + big[1:], big[:-1] + b"y"], rounds=60)
    assert leaky > 2.0, leaky
    assert spread < 1.25, spread


@given(vid=st.text(max_size=80), code=st.text(max_size=80))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_id_or_code_is_just_a_failure(vid: str, code: str, clock: Clock) -> None:
    from smsgate.stores import MemoryStore

    h = Harness(MemoryStore(clock=clock), clock, VerifyPolicy(checks_per_phone=None))
    v = h.verifier.start(PHONE, template="SMS_1")
    if vid != v.id:
        with pytest.raises(VerificationFailed):
            h.verifier.check(vid, code)
    if code != h.code():
        with pytest.raises(VerificationFailed):
            h.verifier.check(v.id, code)
    assert h.verifier.check(v.id, h.code()).approved


CONCURRENT_STORES = [kind for kind in STORES if kind != "memory"]  # shared by processes


@pytest.mark.parametrize("kind", CONCURRENT_STORES)
def test_concurrent_wrong_checks_from_four_processes_count_exactly_five(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    store = open_store(kind, request, tmp_path)
    url = {"redis": "redis_url", "postgres": "postgres_dsn"}.get(kind)
    url = request.getfixturevalue(url) if url else str(tmp_path / "verify.db")
    h = Harness(store, Clock(time.time()))
    h.verifier.clock = time.time
    v = h.verifier.start(PHONE, template="SMS_1")
    root = Path(__file__).resolve().parents[2]
    keys = ",".join(f"{k}:{s}" for k, s in KEYS.items())
    env = {**os.environ, "PYTHONPATH": str(root), "SMSGATE_VERIFY_KEYS": keys}
    args = [sys.executable, "-m", "tests.fixtures.verify_worker", url, v.id, wrong(h.code()), "20"]
    workers = [
        subprocess.Popen(
            args, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert out.strip() == "20"
    found = h.verifier.get(v.id)
    assert found is not None and found.attempts == 5 and found.status is VerificationStatus.MAX_ATTEMPTS_REACHED
    with pytest.raises(VerificationFailed):
        h.verifier.check(v.id, h.code())
    store.close()


def test_ids_shaped_like_other_keys_are_just_unknown(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1", idempotency_key="k")
    for vid in ("live:login:+8613800138000", "idem:k", f"{v.id}:done", "budget:sends", "x" * 65):
        with pytest.raises(VerificationFailed):
            harness.verifier.check(vid, harness.code())
        assert harness.verifier.get(vid) is None and harness.verifier.cancel(vid) is None
    assert harness.verifier.check(v.id, harness.code()).approved


def test_namespaces_keep_verifications_apart(store: Store, clock: Clock) -> None:
    h = Harness(store, clock)
    tenant_a = Verifier(h.gateway, store, keys=KEYS, namespace="a", clock=clock)
    tenant_b = Verifier(h.gateway, store, keys=KEYS, namespace="b", clock=clock)
    v = tenant_a.start(PHONE, template="SMS_1")
    with pytest.raises(VerificationFailed):
        tenant_b.check(v.id, h.code())
    assert tenant_b.get(v.id) is None and tenant_a.check(v.id, h.code()).approved


def test_concurrent_right_checks_approve_once(store: Store, clock: Clock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    h = Harness(store, clock, VerifyPolicy(checks_per_phone=None))
    v = h.verifier.start(PHONE, template="SMS_1")

    def attempt(_: int) -> bool:
        try:
            return h.verifier.check(v.id, h.code()).approved
        except VerificationFailed:
            return False

    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(attempt, range(5)))
    assert outcomes.count(True) == 1
