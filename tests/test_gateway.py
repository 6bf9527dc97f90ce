"""The gateway's reliability layer with in-process providers, through both gateways alike."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smsgate import AsyncGateway, ConfigError, Gateway, Message, PolicyRefused, RetryPolicy, Status
from smsgate._errors import Category, Rejected
from smsgate._observe import Hooks, Metrics
from smsgate.policy import CircuitBreaker, PhoneLimits, ProviderRate
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import MemoryStore, SQLiteStore, Store
from smsgate.strategies import by_country

A, B = "+8613800138000", "+8613800138001"
US = "+12025550123"
NO_JITTER = RetryPolicy(random=lambda: 1.0, base_delay=0.01)


class Both:
    """One gateway, sync or async, whose ``send`` is awaited the same way; sleeps are recorded."""

    def __init__(self, kind: str, providers: Any, **options: Any) -> None:
        self.kind = kind
        self.sleeps: list[float] = []
        options.setdefault("retry", NO_JITTER)
        if kind == "sync":
            self.gw: Any = Gateway(providers, sleep=self.sleeps.append, **options)
        else:

            async def sleep(seconds: float) -> None:
                self.sleeps.append(seconds)

            self.gw = AsyncGateway(providers, sleep=sleep, **options)

    async def send(self, message: Message, **kw: Any) -> Any:
        if self.kind == "sync":
            return await asyncio.to_thread(self.gw.send, message, **kw)
        return await self.gw.send(message, **kw)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ab() -> Iterator[tuple[MemoryProvider, MemoryProvider]]:
    yield MemoryProvider(alias="a"), MemoryProvider(alias="b")


def msg(*to: str, **kw: Any) -> Message:
    return Message(to=list(to or [A]), template="T", text="code ${code}", params={"code": "123456"}, **kw)


async def test_failover_on_auth_and_only_one_delivery(kind: str, ab: Any) -> None:
    a, b = ab
    a.fail_with("auth")
    result = await Both(kind, [a, b]).send(msg())
    assert result.ok and result[A].provider == "b"
    assert [(x.provider, x.status.value) for x in result.attempts] == [("a", "rejected"), ("b", "accepted")]
    assert len(a.outbox) == 0 and len(b.outbox) == 1


async def test_unknown_outcome_is_not_failed_over(kind: str, ab: Any) -> None:
    a, b = ab
    a.fail_with("unknown")
    result = await Both(kind, [a, b]).send(msg())
    assert result[A].status is Status.UNKNOWN and len(b.outbox) == 0
    assert len(result.attempts) == 1


async def test_recipient_rejection_is_not_failed_over(kind: str, ab: Any) -> None:
    a, b = ab
    a.fail_with("recipient", phones=[B])
    result = await Both(kind, [a, b]).send(msg(A, B))
    assert result[A].ok and result[B].status is Status.REJECTED
    assert [e.to for e in b.outbox] == []


async def test_throttle_retries_then_fails_over(kind: str, ab: Any) -> None:
    a, b = ab
    a.fail_with("throttled", times=None)
    gw = Both(kind, [a, b])
    result = await gw.send(msg())
    assert [(x.provider, x.number) for x in result.attempts] == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    assert gw.sleeps == [0.01, 0.02]  # full jitter pinned to its ceiling, doubling


async def test_idempotent_resend_sends_nothing(kind: str, ab: Any) -> None:
    a, b = ab
    gw = Both(kind, [a, b])
    first = await gw.send(msg(idempotency_key="order-1"))
    again = await gw.send(msg(idempotency_key="order-1"))
    assert len(a.outbox) == 1
    assert again.replayed and not first.replayed
    assert again.message_id == first.message_id and again[A].message_id == first[A].message_id


async def test_idempotency_releases_key_when_nothing_was_sent(kind: str, ab: Any) -> None:
    a, _ = ab
    a.fail_with("recipient")
    gw = Both(kind, [a])
    assert (await gw.send(msg(idempotency_key="k")))[A].status is Status.REJECTED
    assert (await gw.send(msg(idempotency_key="k"))).ok and len(a.outbox) == 1


async def test_idempotency_keeps_unknown_outcomes(kind: str, ab: Any) -> None:
    a, _ = ab
    a.fail_with("unknown")
    gw = Both(kind, [a])
    await gw.send(msg(idempotency_key="k"))
    replay = await gw.send(msg(idempotency_key="k"))
    assert replay.replayed and replay[A].status is Status.UNKNOWN and len(a.outbox) == 0
    assert replay[A].error is not None and replay[A].error.category is Category.UNKNOWN


async def test_idempotency_shared_between_gateways(kind: str, ab: Any, tmp_path: Path) -> None:
    a, _ = ab
    store = SQLiteStore(tmp_path / "s.db")
    await Both(kind, [a], store=store).send(msg(idempotency_key="x"))
    store.close()  # a sync send's result is written behind: another store object sees it once committed
    other = await Both(kind, [a], store=SQLiteStore(tmp_path / "s.db")).send(msg(idempotency_key="x"))
    assert other.replayed and len(a.outbox) == 1


async def test_idempotency_in_progress_is_refused(kind: str, ab: Any) -> None:
    a, _ = ab
    store = MemoryStore()
    store.add("idem:busy", "pending", 60)
    with pytest.raises(PolicyRefused) as info:
        await Both(kind, [a], store=store).send(msg(idempotency_key="busy"))
    assert info.value.rule == "idempotency" and a.outbox == []


async def test_phone_limit_refuses_with_rule_named(kind: str, ab: Any) -> None:
    a, _ = ab
    gw = Both(kind, [a], limits=PhoneLimits(per_minute=2, per_day=10), clock=lambda: 120.0)
    await gw.send(msg())
    await gw.send(msg())
    with pytest.raises(PolicyRefused) as info:
        await gw.send(msg())
    assert info.value.rule == "per_minute" and "per_minute=2" in str(info.value) and A in str(info.value)
    assert info.value.code == 46004 and len(a.outbox) == 2
    assert gw.gw.metrics.snapshot()["refused"] == {"per_minute": 1}


async def test_limits_are_all_or_nothing_across_recipients(kind: str, ab: Any) -> None:
    a, _ = ab
    store = MemoryStore()
    gw = Both(kind, [a], limits=PhoneLimits(per_minute=1), store=store, clock=lambda: 0.0)
    await gw.send(msg(B))
    with pytest.raises(PolicyRefused):
        await gw.send(msg(A, B))
    assert [e.to for e in a.outbox] == [B]
    assert store.get(f"limit:per_minute:{A}:0") is None  # A was not counted


async def test_limit_window_is_fixed(kind: str, ab: Any) -> None:
    a, _ = ab
    now = [59.0]
    gw = Both(kind, [a], limits=PhoneLimits(per_minute=1), clock=lambda: now[0])
    await gw.send(msg())
    now[0] = 60.0  # the next minute: a new window
    assert (await gw.send(msg())).ok


async def test_blocklist_and_allowlist(kind: str, ab: Any) -> None:
    a, _ = ab
    gw = Both(kind, [a], blocklist=True, allowlist=["CN"])
    gw.gw.blocklist.add("13800138001")
    with pytest.raises(PolicyRefused) as blocked:
        await gw.send(msg(A, B))
    assert blocked.value.rule == "blocklist" and B in str(blocked.value)
    with pytest.raises(PolicyRefused) as abroad:
        await gw.send(msg(A, US))
    assert abroad.value.rule == "country_allowlist"
    assert a.outbox == []
    gw.gw.blocklist.remove(B)
    assert (await gw.send(msg(B))).ok


async def test_provider_rate_waits_then_fails_over(kind: str, ab: Any) -> None:
    a, b = ab
    gw = Both(kind, [a, b], rates={"a": ProviderRate(rate=10, burst=1, max_wait=0.15)}, clock=lambda: 5.0)
    for _ in range(3):
        await gw.send(msg())
    assert gw.sleeps == [pytest.approx(0.1)]  # the second waited 0.1 s; the third would wait 0.2
    assert len(a.outbox) == 2 and len(b.outbox) == 1


async def test_circuit_breaker_skips_then_probes(kind: str, ab: Any) -> None:
    a, b = ab
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=30, clock=lambda: now[0])
    gw = Both(kind, [a, b], breakers={"a": breaker}, retry=RetryPolicy(max_attempts=1))
    a.fail_with("unreachable", times=2)
    await gw.send(msg())
    await gw.send(msg())
    assert breaker.state == "open"
    third = await gw.send(msg())
    assert [x.provider for x in third.attempts] == ["b"]
    now[0] = 31.0
    fourth = await gw.send(msg())
    assert [x.provider for x in fourth.attempts] == ["a"] and breaker.state == "closed"


async def test_by_country_routes_each_recipient(kind: str) -> None:
    cn, intl = MemoryProvider(alias="aliyun"), MemoryProvider(alias="twilio")
    gw = Both(kind, [cn, intl], strategy=by_country({"+86": ["aliyun"]}, default=["twilio"]))
    result = await gw.send(msg(A, US, B))
    assert [r.provider for r in result.recipients] == ["aliyun", "twilio", "aliyun"]
    assert sorted(e.to for e in cn.outbox) == [A, B] and [e.to for e in intl.outbox] == [US]


async def test_hooks_and_metrics(kind: str, ab: Any) -> None:
    a, b = ab
    seen: list[Any] = []

    def refuse_b(m: Message) -> None:
        if B in [p.e164 for p in m.phones]:
            raise PolicyRefused("suppressed", rule="suppression")

    hooks = Hooks(
        before_send=[lambda m: seen.append(("before", len(m.phones))), refuse_b],
        after_send=[lambda m, r: seen.append(("after", r.ok))],
        on_error=[lambda att: seen.append(("error", att.provider, att.status.value))],
    )
    metrics = Metrics()
    a.fail_with("quota")
    gw = Both(kind, [a, b], hooks=hooks, metrics=metrics)
    await gw.send(msg())
    with pytest.raises(PolicyRefused):
        await gw.send(msg(B))
    assert seen == [("before", 1), ("error", "a", "rejected"), ("after", True), ("before", 1)]
    assert metrics.snapshot()["attempts"] == {"a.rejected": 1, "b.accepted": 1}
    assert metrics.snapshot()["recipients"] == {"accepted": 1}


@pytest.mark.parametrize("log_kind", ["memory", "sqlite"])
async def test_send_log_records_message_and_attempts(kind: str, ab: Any, tmp_path: Path, log_kind: str) -> None:
    a, b = ab
    log: Store = MemoryStore() if log_kind == "memory" else SQLiteStore(tmp_path / "log.db")
    a.fail_with(Rejected("no balance", category=Category.QUOTA, provider_code="isv.AMOUNT_NOT_ENOUGH"), times=2)
    result = await Both(kind, [a, b], send_log=log).send(msg(A, B))
    records = log.log_query(message_id=result.message_id)
    assert [(r.kind, r.provider, r.status) for r in records] == [
        ("message", None, "accepted"),
        ("attempt", "a", "rejected"),
        ("attempt", "b", "accepted"),
    ]
    assert records[1].error is not None and records[1].error["provider_code"] == "isv.AMOUNT_NOT_ENOUGH"
    assert records[2].message_ids == {A: result[A].message_id, B: result[B].message_id}
    assert [r.id for r in log.log_query(phone=B)] == [r.id for r in records]


async def test_send_log_pending_is_written_before_the_request(kind: str, tmp_path: Path) -> None:
    log = SQLiteStore(tmp_path / "log.db")
    seen: list[list[str]] = []

    class Spy(MemoryProvider):
        def deliver(self, message: Message, recipients: Any) -> Any:
            other = SQLiteStore(tmp_path / "log.db")  # another connection: the record must be committed
            seen.append([r.status for r in other.log_query(phone=A) if r.kind == "attempt"])
            other.close()
            return super().deliver(message, recipients)

    await Both(kind, [Spy(alias="spy")], send_log=log).send(msg())
    assert seen == [["pending"]]
    assert [r.status for r in log.log_query(phone=A)] == ["accepted", "accepted"]


async def test_logs_redact_phones_and_params(kind: str, ab: Any, caplog: pytest.LogCaptureFixture) -> None:
    a, b = ab
    a.fail_with("throttled")
    with caplog.at_level(logging.INFO, logger="smsgate"):
        await Both(kind, [a, b], retry=RetryPolicy(max_attempts=1)).send(msg())
    text = "\n".join(f"{r.getMessage()} {getattr(r, 'smsgate', '')}" for r in caplog.records)
    assert "smsgate.attempt" in text and "+86138****8000" in text
    assert A not in text and "123456" not in text


def test_sync_and_async_give_the_same_attempts(ab: Any) -> None:
    shapes = []
    for kind in ("sync", "async"):
        a, b = MemoryProvider(alias="a"), MemoryProvider(alias="b")
        a.fail_with("throttled", times=None)
        b.fail_with("recipient", phones=[B])
        result = asyncio.run(Both(kind, [a, b]).send(msg(A, B)))
        shapes.append(([(x.provider, x.number, x.status.value) for x in result.attempts], result.to_dict()["ok"]))
    assert shapes[0] == shapes[1]


def test_unknown_rate_provider_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        Gateway([MemoryProvider(alias="a")], rates={"zzz": ProviderRate(1)})


class FlakyLog(MemoryStore):
    """Fails the ``fail_on``-th ``log_put`` (and every one after it)."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.calls = 0
        self.fail_on = fail_on

    def log_put(self, record: Any) -> None:
        self.calls += 1
        if self.calls >= self.fail_on:
            raise OSError("disk full")
        super().log_put(record)


async def test_send_log_failure_before_the_request_sends_nothing(kind: str, ab: Any) -> None:
    a, _ = ab
    with pytest.raises(OSError, match="disk full"):
        await Both(kind, [a], send_log=FlakyLog(fail_on=2)).send(msg())  # message record ok, attempt record fails
    assert a.outbox == []


async def test_send_log_failure_after_the_request_keeps_the_result(
    kind: str, ab: Any, caplog: pytest.LogCaptureFixture
) -> None:
    a, _ = ab
    log = FlakyLog(fail_on=3)  # message pending, attempt pending, then the attempt's update fails
    result = await Both(kind, [a], send_log=log).send(msg())
    assert result.ok and len(a.outbox) == 1
    assert [r.status for r in log.log_query()] == ["pending", "pending"]  # the attempt stays pending: unknown
    assert "could not record the outcome" in caplog.text


@pytest.mark.parametrize("name", [".", "missing/dir/log.sqlite3", "junk.sqlite3", "nul\x00.sqlite3", "\ud800.sqlite3"])
def test_an_unusable_send_log_is_a_config_error_naming_it(tmp_path, name):
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database " * 100)
    path = str(tmp_path / name)
    with pytest.raises(ConfigError, match=r"^send_log: ") as info:
        Gateway({"console": {}}, send_log=path)
    assert repr(path) in info.value.message


# -- send_many -----------------------------------------------------------------------------------


class Counted:
    """A lazy source of one-phone messages that counts how many were read."""

    def __init__(self, count: int, bad: int | None = None) -> None:
        self.count, self.bad, self.read = count, bad, 0

    def __iter__(self) -> Iterator[Message]:
        for n in range(self.count):
            self.read += 1
            yield Message(to="not a phone" if n == self.bad else f"+861380013{n:04d}", template="T")


async def collect(kind: str, gw: Any, source: Any, **kw: Any) -> list[Any]:
    if kind == "sync":
        return await asyncio.to_thread(lambda: list(gw.send_many(source, **kw)))
    return [sent async for sent in gw.send_many(source, **kw)]


async def test_send_many_streams_every_message_with_bounded_reading(kind: str, ab: Any) -> None:
    a, _ = ab
    gw = Both(kind, [a]).gw
    source = Counted(300, bad=7)
    ahead: list[int] = []
    sent = []
    if kind == "sync":
        for item in gw.send_many(source, in_flight=8, group=False):
            ahead.append(source.read - len(sent))
            sent.append(item)
    else:
        async for item in gw.send_many(source, in_flight=8, group=False):
            ahead.append(source.read - len(sent))
            sent.append(item)
    assert len(sent) == 300 and max(ahead) <= 8
    failed = [s for s in sent if s.error is not None]
    assert len(failed) == 1 and failed[0].error.field == "to" and failed[0].result is None
    assert sorted(s.result.recipients[0].phone.e164 for s in sent if s.ok) == sorted(m.to for m in a.outbox)
    assert len(a.outbox) == 299


async def test_async_send_many_takes_an_async_iterable(ab: Any) -> None:
    a, _ = ab

    async def source() -> Any:
        for n in range(20):
            await asyncio.sleep(0)
            yield Message(to=f"+861380013{n:04d}", template="T")

    async with AsyncGateway([a]) as gateway:
        sent = [s async for s in gateway.send_many(source(), in_flight=3)]
    assert len(sent) == 20 and all(s.ok for s in sent) and len(a.outbox) == 20


async def test_stopping_send_many_early_finishes_what_is_in_flight(kind: str, ab: Any) -> None:
    a, _ = ab
    gw = Both(kind, [a]).gw
    source = Counted(100)
    if kind == "sync":
        stream = gw.send_many(source, in_flight=4, group=False)
        first = next(stream)
        stream.close()
    else:
        stream = gw.send_many(source, in_flight=4, group=False)
        first = await stream.__anext__()
        await stream.aclose()
    assert first.ok and source.read <= 5
    assert len(a.outbox) == source.read  # every message read was sent, none cut off, none more
