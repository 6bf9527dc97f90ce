"""The straight path (a send with no policy step makes its one request itself, see ``_flow``) over
real HTTP, through both gateways: the same requests, results, hooks and metrics as the full flow,
and any answer but a plain acceptance carried on by the engine without sending anything twice."""

from __future__ import annotations

from typing import Any

import pytest

from smsgate import Hooks, Message, Metrics, RetryPolicy, Status
from smsgate.stores import MemoryStore
from tests.fakes.aliyun import AliyunFake
from tests.fakes.gateways import Driver
from tests.fakes.tencent import TencentFake
from tests.waits import await_until

PHONE, E164 = "13800138000", "+8613800138000"
ONCE = RetryPolicy(max_attempts=1)


def message(**kw: Any) -> Message:
    return Message(to=[PHONE], template="SMS_1", templates={"tencent": "1001"}, params={"code": "123456"}, **kw)


def both(aliyun: AliyunFake, tencent: TencentFake) -> dict[str, Any]:
    return {"aliyun": aliyun.settings(), "tencent": tencent.settings()}


class Seen:
    """Hooks and metrics recording every call, to compare the two paths."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.metrics = Metrics()
        self.hooks = Hooks(
            before_send=[lambda m: self.calls.append("before")],
            after_send=[lambda m, r: self.calls.append(f"after:{','.join(str(x.status) for x in r.recipients)}")],
            on_error=[lambda a: self.calls.append(f"error:{a.provider}:{a.status}")],
        )


FAULTS = ["none", "throttle", "throttle_twice", "server_error", "auth", "template_missing"]


def arrange(fault: str, aliyun: AliyunFake, tencent: TencentFake) -> tuple[dict[str, Any], Message, RetryPolicy]:
    providers, retry = both(aliyun, tencent), RetryPolicy(random=lambda: 1.0, base_delay=0.01)
    if fault == "throttle":  # retried at aliyun: the engine carries on from the straight request
        aliyun.throttle_next(retry_after=0.01)
    elif fault == "throttle_twice":  # retries spent: failover to tencent
        aliyun.throttle_next(retry_after=0.01)
        retry = ONCE
    elif fault == "server_error":  # delivered, then a 503: unknown, never resent or failed over
        aliyun.server_error_next(503, {"retry-after": "1"})
    elif fault == "auth":
        providers["aliyun"] = {**providers["aliyun"], "access_key_secret": "wrong-secret"}
    elif fault == "template_missing":  # aliyun cannot take it (no sign name): no straight request
        providers["aliyun"] = {**providers["aliyun"], "sign_name": None}
    return providers, message(), retry


@pytest.mark.parametrize("fault", FAULTS)
async def test_the_straight_path_does_what_the_full_flow_does(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake, fault: str
) -> None:
    outcomes = []
    for full in (False, True):  # a send log (a policy step) takes the full flow
        seen = Seen()
        providers, msg, retry = arrange(fault, aliyun_server, tencent_fake)
        before = (len(aliyun_server.delivered), len(tencent_fake.delivered))
        options: dict[str, Any] = {"send_log": MemoryStore()} if full else {}
        result = await gateway.send(providers, msg, retry=retry, hooks=seen.hooks, metrics=seen.metrics, **options)
        wanted = sum(before) + 1
        await await_until(  # the fake records a delivery as it answers: wait for it, never sleep
            lambda wanted=wanted: len(aliyun_server.delivered) + len(tencent_fake.delivered) >= wanted,
            what="the delivery to be recorded at the fake",
        )
        delivered = (len(aliyun_server.delivered) - before[0], len(tencent_fake.delivered) - before[1])
        outcomes.append(
            (
                [(r.phone.e164, r.status, r.provider) for r in result.recipients],
                [(a.provider, a.status, a.number) for a in result.attempts],
                delivered,
                seen.calls,
                seen.metrics.snapshot(),
            )
        )
    assert outcomes[0] == outcomes[1]
    rows, attempts, delivered, calls, _ = outcomes[0]
    assert calls.count("before") == 1 and sum(c.startswith("after") for c in calls) == 1
    assert sum(delivered) == 1  # exactly one delivery whatever the fault: nothing sent twice
    if fault == "server_error":
        assert rows == [(E164, Status.UNKNOWN, "aliyun")] and attempts == [("aliyun", Status.UNKNOWN, 1)]


async def test_a_plain_send_is_one_request_and_one_attempt(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    seen = Seen()
    result = await gateway.send(both(aliyun_server, tencent_fake), message(), hooks=seen.hooks, metrics=seen.metrics)
    assert result.ok and result[E164].message_id and len(aliyun_server.delivered) == 1
    assert [(a.provider, a.status) for a in result.attempts] == [("aliyun", Status.ACCEPTED)]
    assert len(result.responses) == 1 and seen.calls == ["before", "after:accepted"]
    counted = seen.metrics.snapshot()
    assert counted["attempts"] == {"aliyun.accepted": 1} and counted["recipients"] == {"accepted": 1}


@pytest.mark.parametrize("policy", [None, "send_log", "idempotency_key", "limits", "rates", "breakers", "blocklist"])
async def test_only_a_send_with_no_policy_step_takes_the_straight_path(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake, policy: str | None, monkeypatch: Any
) -> None:
    from smsgate import PhoneLimits, ProviderRate
    from smsgate._flow import SendFlow

    full: list[bool] = []
    drive = SendFlow.send

    def spied(self: SendFlow, *args: Any) -> Any:
        full.append(True)
        return drive(self, *args)

    monkeypatch.setattr(SendFlow, "send", spied)
    options: dict[str, Any] = {
        None: {},
        "send_log": {"send_log": MemoryStore()},
        "limits": {"limits": PhoneLimits(per_minute=5)},
        "rates": {"rates": {"aliyun": ProviderRate(100)}},
        "breakers": {"breakers": True},
        "blocklist": {"blocklist": True},
        "idempotency_key": {},
    }[policy]
    msg = message(idempotency_key="k1") if policy == "idempotency_key" else message()
    result = await gateway.send(both(aliyun_server, tencent_fake), msg, **options)
    assert result.ok and len(aliyun_server.delivered) == 1
    assert full == ([] if policy is None else [True])


async def test_a_refusing_before_hook_sends_nothing(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    from smsgate import PolicyRefused

    def refuse(message: Message) -> None:
        raise PolicyRefused("not now", rule="hook")

    with pytest.raises(PolicyRefused):
        await gateway.send(both(aliyun_server, tencent_fake), message(), hooks=Hooks(before_send=[refuse]))
    assert len(aliyun_server.delivered) == 0 and len(tencent_fake.delivered) == 0


async def test_a_single_request_in_another_order_than_the_message_goes_to_the_engine(
    gateway: Driver, aliyun_server: AliyunFake, monkeypatch: Any
) -> None:
    from smsgate._flow import SendFlow
    from smsgate.providers.aliyun import AliyunProvider

    class Reversing(AliyunProvider):  # one request, its recipients in reverse
        def batches(self, message: Any, recipients: Any) -> list[tuple[Any, ...]]:
            return [tuple(reversed(tuple(recipients)))]

    straight: list[tuple[bool, bool]] = []
    begin = SendFlow.straight

    def spied(self: SendFlow, *args: Any) -> Any:
        started = begin(self, *args)
        straight.append((started is not None, started is not None and started.job is not None))
        return started

    monkeypatch.setattr(SendFlow, "straight", spied)
    two = Message(to=[PHONE, "13900139000"], template="SMS_1", params={"code": "123456"})
    results = []
    for options in ({}, {"send_log": MemoryStore()}):  # the straight path's fallback, then the full flow
        provider = Reversing(aliyun_server.settings())
        result = await gateway.send([provider], two, **options)
        results.append(([(r.phone.e164, r.status) for r in result.recipients], [a.phones for a in result.attempts]))
    assert straight == [(True, False), (False, False)]  # no straight request: the engine sent it
    assert results[0] == results[1]
    assert [row[0] for row in results[0][0]] == [E164, "+8613900139000"]  # the message's order
    assert results[0][1] == [("+8613900139000", E164)]  # the request's order
    assert aliyun_server.phones() == ["13900139000", PHONE] * 2


async def test_an_accepted_straight_send_reads_as_the_full_flow_does(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    """Every field of the result, but times and the provider's ids, the same on both paths."""
    two = Message(to=[PHONE, "+86 139 0013 9000"], template="SMS_1", params={"code": "123456"})
    seen = []
    for options in ({}, {"send_log": MemoryStore()}):
        metrics = Metrics()
        result = await gateway.send(both(aliyun_server, tencent_fake), two, metrics=metrics, **options)
        attempts = [
            {k: v for k, v in a.to_dict().items() if k not in ("started_at", "elapsed")} for a in result.attempts
        ]
        rows = [{**r.to_dict(), "message_id": bool(r.message_id)} for r in result.recipients]
        assert [a.elapsed >= 0 and a.started_at > 0 for a in result.attempts] == [True]
        seen.append((rows, attempts, len(result.responses), metrics.snapshot(), result.ok))
    assert seen[0] == seen[1]
    rows, attempts, responses, counted, ok = seen[0]
    assert ok and [r["phone"] for r in rows] == [E164, "+8613900139000"] and responses == 1
    assert attempts == [
        {"provider": "aliyun", "phones": [E164, "+8613900139000"], "status": "accepted", "error": None, "number": 1}
    ]
    assert counted["attempts"] == {"aliyun.accepted": 1} and counted["recipients"] == {"accepted": 2}
