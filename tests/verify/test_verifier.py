"""The drivers: the async twin, sends through a gateway (failover, unknown outcomes) and no leaks."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from smsgate import AsyncGateway, Gateway, OutcomeUnknown, SQLiteStore, Status
from smsgate.stores import MemoryStore, Store
from smsgate.testing import MemoryProvider, memory_gateway, outbox_of
from smsgate.verify import AsyncVerifier, VerificationFailed, VerificationStatus, Verifier, VerifyPolicy

from ..fakes.aliyun import AliyunFake
from .conftest import KEYS, Clock, wrong

PHONE = "13800138000"


async def test_the_async_twin_keeps_the_same_rules(store: Store, clock: Clock) -> None:
    gateway = memory_gateway(asynchronous=True, clock=clock)
    verifier = AsyncVerifier(gateway, store, keys=KEYS, policy=VerifyPolicy(resend_cooldown=0), clock=clock)
    v = await verifier.start(PHONE, template="SMS_1")
    await verifier.resend(v.id)
    codes = [entry.params["code"] for entry in outbox_of(gateway)]
    assert len(codes) == 2 and codes[0] == codes[1]
    with pytest.raises(VerificationFailed):
        await verifier.check(v.id, wrong(codes[0]))
    assert (await verifier.check_phone(PHONE, codes[0])).approved
    found = await verifier.get(v.id)
    assert found is not None and (found.status, found.sends, found.attempts) == (VerificationStatus.APPROVED, 2, 2)
    other = await verifier.start(PHONE, template="SMS_1", purpose="signup")
    canceled = await verifier.cancel(other.id)
    assert canceled is not None and canceled.status is VerificationStatus.CANCELED
    await gateway.aclose()
    await store.aclose()


def two_providers(clock: Clock) -> tuple[Gateway, MemoryProvider, MemoryProvider]:
    first, second = MemoryProvider(alias="first"), MemoryProvider(alias="second")
    return Gateway([first, second], clock=clock), first, second


def test_a_send_fails_over_like_any_other_message(store: Store, clock: Clock) -> None:
    gateway, first, second = two_providers(clock)
    first.fail_with("auth")
    v = Verifier(gateway, store, keys=KEYS, clock=clock).start(PHONE, template="SMS_1")
    assert (v.send_status, v.provider) == (Status.ACCEPTED, "second")
    assert len(first.outbox) == 0 and len(second.outbox) == 1


def test_an_unknown_outcome_is_reported_and_resent_only_through_resend(store: Store, clock: Clock) -> None:
    gateway, first, second = two_providers(clock)
    first.fail_with("unknown")
    verifier = Verifier(gateway, store, keys=KEYS, policy=VerifyPolicy(resend_cooldown=0), clock=clock)
    v = verifier.start(PHONE, template="SMS_1")
    assert v.send_status is Status.UNKNOWN and isinstance(v.error, OutcomeUnknown)
    assert len(first.outbox) == len(second.outbox) == 0  # not failed over: never two codes from one unknown
    found = verifier.get(v.id)
    assert found is not None and found.send_status is Status.UNKNOWN and found.status is VerificationStatus.PENDING
    again = verifier.resend(v.id)
    assert (again.sends, again.send_status, again.provider) == (2, Status.ACCEPTED, "first")
    assert verifier.check(v.id, first.outbox.last.params["code"]).approved


def test_a_send_refused_before_it_left_cancels_the_verification(store: Store, clock: Clock) -> None:
    gateway = Gateway({"tencent": {"secret_id": "i", "secret_key": "k", "sdk_app_id": "1"}}, clock=clock)
    verifier = Verifier(gateway, store, keys=KEYS, clock=clock)
    with pytest.raises(Exception) as info:
        verifier.start(PHONE, text="no template for a template provider")
    assert getattr(info.value, "code", None) == 46001
    live = store.get("verify:live:login:+8613800138000")
    assert live is not None and verifier.get(live).status is VerificationStatus.CANCELED  # type: ignore[union-attr]


def test_codes_appear_nowhere_but_in_the_sms_the_provider_received(
    aliyun_server: AliyunFake, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    state, log = SQLiteStore(tmp_path / "state.db"), SQLiteStore(tmp_path / "log.db")
    gateway = Gateway({"aliyun": aliyun_server.settings()}, send_log=log, store=state)
    verifier = Verifier(gateway, state, keys=KEYS, policy=VerifyPolicy(digits=10, sends_per_client=None))
    seen: list[str] = []
    for i in range(100):
        v = verifier.start(f"1380013{i:04d}", template="SMS_1", client="10.0.0.1", params={"product": "Acme"})
        code = aliyun_server.delivered[-1].params["code"]
        for attempt in (wrong(code), code, code):
            try:
                seen.append(repr(verifier.check(v.id, attempt, client="10.0.0.1")))
            except VerificationFailed as exc:
                seen += [repr(exc), str(exc), str(exc.to_dict())]
        found = verifier.get(v.id)
        seen += [repr(found), str(found.to_dict() if found else None), repr(v), str(v.to_dict())]
    codes = [d.params["code"] for d in aliyun_server.delivered]
    assert len(codes) == len(set(codes)) == 100
    gateway.close()
    state.close()
    log.close()
    out, err = capsys.readouterr()
    records = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file()).decode("latin-1")
    metrics = str(gateway.metrics.snapshot())
    haystack = "\n".join([*seen, out, err, records, files, metrics, repr(gateway), repr(verifier)])
    assert caplog.records and "message" in files  # the logs and the send log were written
    leaked = [c for c in codes if re.search(rf"(?<!\d){c}(?!\d)", haystack)]
    assert leaked == []


async def test_the_async_twin_over_a_provider_emulator(aliyun_server: AliyunFake, tmp_path: Path) -> None:
    async with AsyncGateway({"aliyun": aliyun_server.settings()}) as gateway:
        store = SQLiteStore(tmp_path / "s.db")
        verifier = AsyncVerifier(gateway, store, keys=KEYS)
        v = await verifier.start(PHONE, template="SMS_1")
        assert v.send_status is Status.ACCEPTED and v.provider == "aliyun"
        assert (await verifier.check(v.id, aliyun_server.delivered[-1].params["code"])).approved
        await store.aclose()


class FailingStore(MemoryStore):
    """A memory store whose ``name`` operation fails once armed: a store going down mid-flow."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock=clock)
        self.failing: str | None = None

    def _maybe_fail(self, name: str) -> None:
        if self.failing == name:
            raise ConnectionError("store down")

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._maybe_fail("set" if key.endswith(":sent") else "")
        super().set(key, value, ttl)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        self._maybe_fail("get_many")
        return super().get_many(keys)

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        self._maybe_fail("run")
        return super().run(calls)


def test_a_send_that_left_is_reported_when_the_store_fails_after_it(clock: Clock) -> None:
    store = FailingStore(clock)
    gateway = memory_gateway(clock=clock)
    verifier = Verifier(gateway, store, keys=KEYS, clock=clock)
    store.failing = "set"  # the outcome of the send cannot be recorded (its ``:sent`` key)
    v = verifier.start(PHONE, template="SMS_1")
    assert v.send_status is Status.ACCEPTED and len(outbox_of(gateway)) == 1
    store.failing = None
    assert verifier.check(v.id, outbox_of(gateway).last.params["code"]).approved


def test_nothing_is_sent_when_the_store_fails_before_the_send(clock: Clock) -> None:
    store = FailingStore(clock)
    gateway = memory_gateway(clock=clock)
    store.failing = "run"
    with pytest.raises(ConnectionError):
        Verifier(gateway, store, keys=KEYS, clock=clock).start(PHONE, template="SMS_1")
    assert len(outbox_of(gateway)) == 0


def test_an_approval_stands_when_reading_back_fails(clock: Clock) -> None:
    store = FailingStore(clock)
    gateway = memory_gateway(clock=clock)
    verifier = Verifier(gateway, store, keys=KEYS, clock=clock)
    v = verifier.start(PHONE, template="SMS_1")
    calls = {"n": 0}
    original = store.get_many

    def second_fails(keys: Sequence[str]) -> list[str | None]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("store down")
        return original(keys)

    store.get_many = second_fails  # type: ignore[method-assign]
    approved = verifier.check(v.id, outbox_of(gateway).last.params["code"])
    assert approved.approved
    store.get_many = original  # type: ignore[method-assign]
    assert verifier.get(v.id).status is VerificationStatus.APPROVED  # type: ignore[union-attr]
