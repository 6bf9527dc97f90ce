"""Every rule of a verification, on every store (memory, SQLite, Redis)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate import CountryAllowlist, InvalidPhone, InvalidRequest, PolicyRefused, SQLiteStore, Status
from smsgate.stores import Store
from smsgate.verify import Budget, VerificationFailed, VerificationStatus, Verifier, VerifyPolicy

from .conftest import KEYS, STORES, Clock, Harness, open_store, wrong

PHONE = "13800138000"


def refused(h: Harness, vid: str, code: str) -> VerificationFailed:
    with pytest.raises(VerificationFailed) as info:
        h.verifier.check(vid, code)
    return info.value


def test_start_sends_a_six_digit_code_and_returns_no_code(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1", sign_name="Acme")
    code = harness.code()
    assert len(code) == 6 and code.isdigit()
    assert v.status is VerificationStatus.PENDING and v.phone == "+8613800138000" and v.purpose == "login"
    assert (v.sends, v.attempts, v.send_status) == (1, 0, Status.ACCEPTED)
    assert v.expires_at == harness.verifier.clock() + 600
    assert code not in repr(v) and code not in json.dumps(v.to_dict())


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


def test_resend_sends_the_same_code_inside_the_ttl(store: Store, clock: Clock) -> None:
    h = Harness(store, clock, VerifyPolicy(resend_cooldown=0))
    v = h.verifier.start(PHONE, template="SMS_1")
    clock.advance(300)
    again = h.verifier.resend(v.id)
    assert h.sent == 2 and h.code(0) == h.code(1)
    assert again.id == v.id and again.sends == 2 and h.verifier.get(v.id).sends == 2  # type: ignore[union-attr]
    assert h.verifier.check(v.id, h.code()).approved


@pytest.mark.parametrize("kind", STORES)
def test_resend_cooldown(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    store = open_store(kind, request, tmp_path)  # the cooldown is a TTL in the store: real time
    h = Harness(store, Clock(), VerifyPolicy(resend_cooldown=0.3))
    h.verifier.clock = time.time
    started = time.time()  # before the cooldown starts, on the clock the stores expire by
    v = h.verifier.start(PHONE, template="SMS_1")
    with pytest.raises(PolicyRefused) as info:
        h.verifier.resend(v.id)
    assert info.value.rule == "resend_cooldown" and h.sent == 1
    deadline = started + 10
    while True:
        try:
            h.verifier.resend(v.id)
            break
        except PolicyRefused as exc:
            assert exc.rule == "resend_cooldown" and time.time() < deadline
            time.sleep(0.02)
    assert time.time() - started >= 0.3 and h.sent == 2


def test_at_most_five_sends(store: Store, clock: Clock) -> None:
    h = Harness(store, clock, VerifyPolicy(resend_cooldown=0, sends_per_phone=None))
    v = h.verifier.start(PHONE, template="SMS_1")
    for _ in range(4):
        h.verifier.resend(v.id)
    with pytest.raises(PolicyRefused) as info:
        h.verifier.resend(v.id)
    assert info.value.rule == "max_sends_reached" and h.sent == 5
    assert h.verifier.get(v.id).sends == 5  # type: ignore[union-attr]


def test_a_new_verification_cancels_the_previous_one(harness: Harness) -> None:
    first = harness.verifier.start(PHONE, template="SMS_1")
    first_code = harness.code()
    second = harness.verifier.start(PHONE, template="SMS_1")
    assert harness.verifier.get(first.id).status is VerificationStatus.CANCELED  # type: ignore[union-attr]
    if first_code != harness.code():
        refused(harness, first.id, first_code)
    other = harness.verifier.start(PHONE, template="SMS_1", purpose="signup")  # another purpose is apart
    assert harness.verifier.get(second.id).status is VerificationStatus.PENDING  # type: ignore[union-attr]
    assert harness.verifier.check(other.id, harness.code()).approved


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


def test_send_budgets_per_phone_and_per_client(store: Store, clock: Clock) -> None:
    policy = VerifyPolicy(sends_per_phone=Budget(2), sends_per_client=Budget(3))
    h = Harness(store, clock, policy)
    h.verifier.start(PHONE, template="SMS_1", client="10.0.0.1")
    h.verifier.start(PHONE, template="SMS_1", client="10.0.0.1")
    with pytest.raises(PolicyRefused) as info:
        h.verifier.start(PHONE, template="SMS_1", client="10.0.0.2")
    assert info.value.rule == "verify_sends_per_phone"
    h.verifier.start("13900139000", template="SMS_1", client="10.0.0.1")
    with pytest.raises(PolicyRefused) as info:
        h.verifier.start("13700137000", template="SMS_1", client="10.0.0.1")
    assert info.value.rule == "verify_sends_per_client" and h.sent == 3
    clock.advance(3600)
    h.verifier.start(PHONE, template="SMS_1", client="10.0.0.1")


def test_check_budget_per_phone_across_verifications(store: Store, clock: Clock) -> None:
    h = Harness(store, clock, VerifyPolicy(checks_per_phone=Budget(3), sends_per_phone=None))
    v = h.verifier.start(PHONE, template="SMS_1")
    for _ in range(2):
        refused(h, v.id, wrong(h.code()))
    v = h.verifier.start(PHONE, template="SMS_1")
    refused(h, v.id, wrong(h.code()))
    refused(h, v.id, h.code())  # over the phone's budget: the right code is refused too
    assert h.verifier.get(v.id).attempts == 1  # type: ignore[union-attr]


def test_only_an_hmac_is_stored(harness: Harness, store: Store) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1")
    code = harness.code()
    raw = store.get(f"verify:{v.id}")
    assert raw is not None and code not in raw
    record = json.loads(raw)
    parts = [v.id, "+8613800138000", "login", code]
    mac = hmac.new(KEYS["k1"].encode(), b"check", hashlib.sha256)
    for part in parts:
        mac.update(len(part.encode()).to_bytes(4, "big") + part.encode())
    assert record["digest"] == mac.hexdigest() and record["key_id"] == "k1"


def test_key_rotation(store: Store, clock: Clock) -> None:
    h = Harness(store, clock)
    old = h.verifier.start(PHONE, template="SMS_1", purpose="a")
    old_code = h.code()
    rotated = Verifier(h.gateway, store, keys={"k2": "a newer server key, also 32 bytes!", **KEYS}, clock=clock)
    new = rotated.start(PHONE, template="SMS_1", purpose="b")
    assert json.loads(store.get(f"verify:{new.id}") or "{}")["key_id"] == "k2"
    assert rotated.check(old.id, old_code).approved
    retired = Verifier(h.gateway, store, keys={"k3": "only the newest key, 32 bytes long"}, clock=clock)
    with pytest.raises(VerificationFailed):
        retired.check(new.id, h.code())


@pytest.mark.parametrize("kind", ["memory", "sqlite"])  # stores whose expiry follows a settable clock
def test_finished_verifications_are_purged_after_retention(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> None:
    store = open_store(kind, request, tmp_path, clock)
    h = Harness(store, clock, VerifyPolicy(retention=86400))
    v = h.verifier.start(PHONE, template="SMS_1")
    h.verifier.check(v.id, h.code())
    keys = [f"verify:{v.id}"] + [f"verify:{v.id}:{part}" for part in ("done", "checks", "sends", "sent")]
    keys.append("verify:live:login:+8613800138000")
    clock.advance(600 + 86400 - 1)
    assert h.verifier.get(v.id) is not None and all(store.get(k) is not None for k in keys)
    clock.advance(2)
    assert h.verifier.get(v.id) is None and all(store.get(k) is None for k in keys)


def test_idempotency_key_returns_the_first_verification(harness: Harness) -> None:
    first = harness.verifier.start(PHONE, template="SMS_1", idempotency_key="req-1")
    again = harness.verifier.start(PHONE, template="SMS_1", idempotency_key="req-1")
    assert again.id == first.id and harness.sent == 1


def test_bad_input_is_a_typed_error_naming_the_field(harness: Harness) -> None:
    cases = [
        ({"phone": "010 12345678"}, InvalidPhone, "to"),
        ({"purpose": "log in"}, InvalidRequest, "purpose"),
        ({"ttl": 3600}, InvalidRequest, "ttl"),
        ({"ttl": 30, "purpose": "signup"}, InvalidRequest, "ttl"),
        ({"template": None}, InvalidRequest, "template"),
        ({"params": {"code": "1"}}, InvalidRequest, "params"),
    ]
    for changes, error, field in cases:
        args = {"phone": PHONE, "template": "SMS_1", **changes}
        with pytest.raises(error) as info:
            harness.verifier.start(args.pop("phone"), **args)
        assert info.value.field == field
    with pytest.raises(InvalidRequest) as info:
        harness.verifier.check(123, "123456")  # type: ignore[arg-type]
    assert info.value.field == "verification_id"
    assert harness.verifier.start(PHONE, template="SMS_1", purpose="signup", ttl=3600).expires_at
    assert harness.sent == 1


def test_country_allowlist(store: Store, clock: Clock) -> None:
    h = Harness(store, clock)
    h.gateway.allowlist = CountryAllowlist(["CN"])
    with pytest.raises(PolicyRefused) as info:
        h.verifier.start("+1 415 555 2671", template="SMS_1")
    assert info.value.rule == "country_allowlist" and h.sent == 0


def test_screen_hook_may_refuse(store: Store, clock: Clock) -> None:
    def screen(phone: object, client: str | None) -> None:
        if client == "bad":
            raise PolicyRefused("flagged", rule="screen")

    h = Harness(store, clock)
    h.verifier.screen = screen
    with pytest.raises(PolicyRefused):
        h.verifier.start(PHONE, template="SMS_1", client="bad")
    assert h.sent == 0


# -- the answers are one, the comparison takes the same time, the counters are exact -------------


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


CONCURRENT_STORES = ["sqlite", "redis"]


@pytest.mark.parametrize("kind", CONCURRENT_STORES)
def test_concurrent_wrong_checks_from_four_processes_count_exactly_five(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    url = {"redis": lambda: request.getfixturevalue("redis_url"), "sqlite": lambda: str(tmp_path / "v.db")}[kind]()
    store = open_store(kind, request, tmp_path) if kind != "sqlite" else SQLiteStore(url)
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
