"""Starting verifications and resending codes, on every store: the numbers, budgets, binding, keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from smsgate import CountryAllowlist, InvalidPhone, InvalidRequest, PolicyRefused, Status
from smsgate.stores import Store
from smsgate.verify import Budget, VerificationFailed, VerificationStatus, Verifier, VerifyPolicy

from .conftest import KEYS, PHONE, STORES, Clock, Harness, open_store, refused


def test_start_sends_a_six_digit_code_and_returns_no_code(harness: Harness) -> None:
    v = harness.verifier.start(PHONE, template="SMS_1", sign_name="Acme")
    code = harness.code()
    assert len(code) == 6 and code.isdigit()
    assert v.status is VerificationStatus.PENDING and v.phone == "+8613800138000" and v.purpose == "login"
    assert (v.sends, v.attempts, v.send_status) == (1, 0, Status.ACCEPTED)
    assert v.expires_at == harness.verifier.clock() + 600
    assert code not in repr(v) and code not in json.dumps(v.to_dict())


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


@pytest.mark.parametrize("kind", [k for k in STORES if k != "redis"])  # expiry by a settable clock
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
