"""A policy send starts with one ``Store.start`` (admission, rate token, pending records) and ends with
one lazy write: two store calls, sync and async, every refusal and fault answered as before."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smsgate import (
    AsyncGateway,
    CircuitBreaker,
    Gateway,
    InvalidRequest,
    Message,
    PhoneLimits,
    PolicyRefused,
    ProviderRate,
    SendResult,
    Status,
    Unreachable,
)
from smsgate.policy.idempotency import claim_value, fingerprint, sent_value
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import LogRecord, MemoryStore, SQLiteStore
from tests.waits import within_one_window

PHONE = "+8613800138000"
COUNTED = ["get", "set", "add", "delete", "incr", "hit", "reserve", "admit", "start", "write", "write_behind"]
COUNTED += ["log_put", "log_query"]


class Counting(MemoryStore):
    """A MemoryStore naming each call the gateway made (``astart`` for an async one), not the calls
    one method makes to another; ``fail`` names a call to fail with ``OSError``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.fail: str | None = None
        self._inside = threading.local()

    def counted(self, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        outer = not getattr(self._inside, "depth", 0)
        if outer:
            self.calls.append(name)
            if name == self.fail:
                raise OSError(f"{name} failed")
        self._inside.depth = getattr(self._inside, "depth", 0) + 1
        try:
            return method(*args, **kwargs)
        finally:
            self._inside.depth -= 1


def _wrap(name: str) -> None:
    sync = getattr(MemoryStore, name)

    def method(self: Counting, *args: Any, **kwargs: Any) -> Any:
        return self.counted(name, sync, self, *args, **kwargs)

    setattr(Counting, name, method)
    if name == "write_behind":  # the sync twin of ``awrite(lazy=True)``
        return
    twin = getattr(MemoryStore, f"a{name}")

    async def amethod(self: Counting, *args: Any, **kwargs: Any) -> Any:
        if getattr(self._inside, "depth", 0) == 0:
            self.calls.append(f"a{name}")
            if f"a{name}" == self.fail:
                raise OSError(f"a{name} failed")
        self._inside.depth = getattr(self._inside, "depth", 0) + 1
        try:
            return await twin(self, *args, **kwargs)
        finally:
            self._inside.depth -= 1

    setattr(Counting, f"a{name}", amethod)


for _name in COUNTED:
    _wrap(_name)


def every_policy(store: MemoryStore, *aliases: str, **extra: Any) -> dict[str, Any]:
    return {
        "store": store,
        "send_log": store,
        "limits": PhoneLimits(per_minute=100),
        "rates": {alias: ProviderRate(rate=1e6, burst=10**6) for alias in aliases},
        "breakers": True,
        "blocklist": True,
        "allowlist": ["CN"],
        **extra,
    }


def sends(kind: str, providers: list[MemoryProvider], messages: list[Message], **options: Any) -> list[Any]:
    """Each message sent in turn through a ``kind`` gateway: its result, or the error it raised."""
    answers: list[Any] = []
    if kind == "sync":
        with Gateway(providers, **options) as gateway:
            for message in messages:
                try:
                    answers.append(gateway.send(message))
                except Exception as exc:
                    answers.append(exc)
        return answers

    async def run() -> None:
        async with AsyncGateway(providers, **options) as agateway:
            for message in messages:
                try:
                    answers.append(await agateway.send(message))
                except Exception as exc:
                    answers.append(exc)

    asyncio.run(run())
    return answers


def calls(kind: str, *names: str) -> list[str]:
    """The calls ``names`` as a ``kind`` gateway makes them: ``write_behind`` (the final write) is
    ``awrite`` for an async one."""
    if kind == "sync":
        return list(names)
    return ["awrite" if name == "write_behind" else f"a{name}" for name in names]


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_send_with_every_policy_makes_two_store_calls(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    message = Message(to=[PHONE], template="T", idempotency_key="k1")
    [result] = sends(kind, [provider], [message], **every_policy(store, "memory"))
    assert result.ok and [m.to for m in provider.outbox] == [PHONE]
    assert store.calls == calls(kind, "start", "write_behind")
    records = store.log_query(message_id=result.message_id)
    assert sorted((r.kind, r.status) for r in records) == [("attempt", "accepted"), ("message", "accepted")]
    again = sends(kind, [provider], [message], **every_policy(store, "memory"))[0]
    assert again.replayed and again[PHONE].message_id == result[PHONE].message_id and len(provider.outbox) == 1


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"send_log": "store"}, ["start", "write_behind"]),  # the pending records, then the outcomes
        ({"limits": PhoneLimits(per_minute=5)}, ["start"]),  # nothing to record at the end
        ({"breakers": True}, []),  # nothing kept in the store
    ],
)
def test_a_send_with_some_policies_makes_one_start(kind: str, options: dict[str, Any], expected: list[str]) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    options = {k: store if v == "store" else v for k, v in options.items()}
    [result] = sends(kind, [provider], [Message(to=[PHONE], template="T")], store=store, **options)
    assert result.ok and len(provider.outbox) == 1
    assert store.calls == calls(kind, *expected)


def test_a_send_log_alone_makes_its_two_calls_there(kind: str) -> None:
    store, log, provider = Counting(), Counting(), MemoryProvider(alias="memory")
    [result] = sends(kind, [provider], [Message(to=[PHONE], template="T")], store=store, send_log=log)
    assert result.ok and len(provider.outbox) == 1
    assert store.calls == [] and log.calls == calls(kind, "start", "write_behind")
    assert {r.status for r in log.log_query(message_id=result.message_id)} == {"accepted"}


def test_a_refusal_changes_nothing_and_sends_nothing(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    store.set("block:" + PHONE, "1")
    store.calls.clear()
    [refused] = sends(kind, [provider], [Message(to=[PHONE], template="T", idempotency_key="k")], **every_policy(store))
    assert isinstance(refused, PolicyRefused) and refused.rule == "blocklist"
    assert store.calls == calls(kind, "start") and provider.outbox == [] and store.get("idem:k") is None
    assert store.log_query() == []


def test_the_limit_refuses_the_send_past_it(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    messages = [Message(to=[PHONE], template="T", idempotency_key=f"k{n}") for n in range(3)]
    within_one_window(60.0, 10.0)  # the limit counts in real time
    answers = sends(kind, [provider], messages, **every_policy(store, limits=PhoneLimits(per_minute=2)))
    assert [a.ok for a in answers[:2]] == [True, True] and len(provider.outbox) == 2
    assert isinstance(answers[2], PolicyRefused) and answers[2].rule == "per_minute"
    assert store.get("idem:k2") is None  # the refused send's claim is not kept


def test_a_claim_in_progress_refuses_and_another_message_is_bad_input(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    message = Message(to=[PHONE], template="T", idempotency_key="k")
    store.set("idem:k", claim_value(fingerprint(message.normalised("CN"))), 60)
    other = Message(to=[PHONE], template="U", idempotency_key="k")
    busy, wrong = sends(kind, [provider], [message, other], **every_policy(store))
    assert isinstance(busy, PolicyRefused) and busy.rule == "idempotency"
    assert isinstance(wrong, InvalidRequest) and wrong.field == "idempotency_key"
    assert provider.outbox == []


def test_an_interrupted_send_is_answered_from_its_log(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    message = Message(to=[PHONE], template="T", idempotency_key="k")
    store.set("idem:k", sent_value(fingerprint(message.normalised("CN")), "m-1", 1.0), 600)
    store.write([LogRecord("a-1", "attempt", "m-1", (PHONE,), "pending", 1.0, 1.0, "memory", 1)])
    store.calls.clear()
    [answer] = sends(kind, [provider], [message], **every_policy(store))
    assert isinstance(answer, SendResult) and answer.replayed and answer.message_id == "m-1"
    assert answer[PHONE].status is Status.UNKNOWN and provider.outbox == []
    assert store.calls == calls(kind, "start", "log_query")


def test_a_refused_rate_token_fails_over_as_before(kind: str) -> None:
    store, first, second = Counting(), MemoryProvider(alias="first"), MemoryProvider(alias="second")
    rates = {"first": ProviderRate(rate=0.001, burst=1, max_wait=0.0)}
    messages = [Message(to=[PHONE], template="T", idempotency_key=f"k{n}") for n in range(2)]
    one, two = sends(kind, [first, second], messages, **every_policy(store, rates=rates))
    assert one[PHONE].provider == "first" and two[PHONE].provider == "second"
    assert [(a.provider, a.status.value) for a in two.attempts] == [("first", "rejected"), ("second", "accepted")]
    assert two.attempts[0].error is not None and "request rate limit" in str(two.attempts[0].error)
    # the refused token's start wrote nothing: the second provider's records went in their own write
    assert store.calls[2:] == calls(kind, "start", "write", "write_behind")
    attempts = [r for r in store.log_query(message_id=two.message_id) if r.kind == "attempt"]
    assert [(r.provider, r.status) for r in attempts] == [("second", "accepted")]
    assert store.get("idem:k1") is not None and len(first.outbox) == len(second.outbox) == 1


def test_an_open_breaker_is_skipped_and_a_closed_one_counts_the_answer(kind: str) -> None:
    store, first, second = Counting(), MemoryProvider(alias="first"), MemoryProvider(alias="second")
    breaker = CircuitBreaker(threshold=1, cooldown=3600)
    first.fail_with("auth")
    options = every_policy(store, breakers={"first": breaker})
    messages = [Message(to=[PHONE], template="T", idempotency_key=f"k{n}") for n in range(2)]
    failed_over, skipped = sends(kind, [first, second], messages, **options)
    assert failed_over[PHONE].provider == "second" and breaker.state == "open"
    assert [a.provider for a in skipped.attempts] == ["second"] and skipped.ok
    assert len(first.outbox) == 0 and len(second.outbox) == 2


def test_a_half_open_breaker_lets_one_probe_through(kind: str) -> None:
    now = [0.0]
    store, first = Counting(), MemoryProvider(alias="first")
    breaker = CircuitBreaker(threshold=1, cooldown=10, clock=lambda: now[0])
    breaker.record(Unreachable("down", provider="first"))
    now[0] = 11.0
    assert breaker.state == "half-open"
    [probe] = sends(
        kind, [first], [Message(to=[PHONE], template="T")], **every_policy(store, breakers={"first": breaker})
    )
    assert probe.ok and breaker.state == "closed" and len(first.outbox) == 1


def test_a_send_log_of_its_own_takes_the_earlier_path(kind: str) -> None:
    store, log, provider = Counting(), Counting(), MemoryProvider(alias="memory")
    options = every_policy(store, "memory") | {"send_log": log}
    [result] = sends(kind, [provider], [Message(to=[PHONE], template="T", idempotency_key="k")], **options)
    assert result.ok and len(provider.outbox) == 1
    assert store.calls == calls(kind, "admit", "reserve", "set", "write_behind")
    assert log.calls == calls(kind, "write", "write_behind")
    assert {r.status for r in log.log_query(message_id=result.message_id)} == {"accepted"}


def test_a_store_failing_at_start_sends_nothing(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    store.fail = calls(kind, "start")[0]
    [raised] = sends(kind, [provider], [Message(to=[PHONE], template="T", idempotency_key="k")], **every_policy(store))
    assert isinstance(raised, Exception) and "start failed" in str(raised)
    assert provider.outbox == []


def test_a_store_failing_at_the_last_write_returns_the_result(kind: str) -> None:
    store, provider = Counting(), MemoryProvider(alias="memory")
    store.fail = calls(kind, "write_behind")[0]
    [result] = sends(kind, [provider], [Message(to=[PHONE], template="T", idempotency_key="k")], **every_policy(store))
    assert isinstance(result, SendResult) and result.ok and len(provider.outbox) == 1
    assert result.store_error is not None and "write" in str(result.store_error)
    assert store.calls == calls(kind, "start", "write_behind")


def test_a_send_log_alone_asks_no_admission(kind: str, tmp_path: Path) -> None:
    class NoAdmission(SQLiteStore):
        def admit(self, *args: Any) -> Any:
            raise AssertionError("nothing to admit")

        async def aadmit(self, *args: Any) -> Any:
            raise AssertionError("nothing to admit")

    log, provider = NoAdmission(tmp_path / "log.db"), MemoryProvider(alias="memory")
    try:
        [result] = sends(kind, [provider], [Message(to=[PHONE], template="T")], send_log=log)
        assert result.ok and {r.status for r in log.log_query(message_id=result.message_id)} == {"accepted"}
    finally:
        log.close()
