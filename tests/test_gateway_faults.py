"""Failover, retries and idempotency over real HTTP: Aliyun first, Tencent second, both fakes on loopback.

Every test runs through ``Gateway`` and ``AsyncGateway`` (the ``gateway`` fixture); sleeps are
recorded, never waited. Deliveries are counted at the fakes, which verify signatures.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from smsgate import Message, RetryPolicy, Status
from smsgate._errors import Category
from smsgate.stores import MemoryStore
from tests.fakes.aliyun import AliyunFake
from tests.fakes.gateways import Driver
from tests.fakes.tencent import TencentFake
from tests.waits import await_until

PHONE = "13800138000"
E164 = "+8613800138000"
ONCE = RetryPolicy(max_attempts=1)
NO_JITTER = RetryPolicy(random=lambda: 1.0, base_delay=0.01)


def message(**kw: Any) -> Message:
    return Message(to=[PHONE], template="SMS_1", templates={"tencent": "1001"}, params={"code": "123456"}, **kw)


def providers(aliyun: AliyunFake, tencent: TencentFake, **aliyun_extra: Any) -> dict[str, Any]:
    return {
        "aliyun": aliyun.settings(**aliyun_extra),
        "tencent": tencent.settings(),
    }


def delivered(aliyun: AliyunFake, tencent: TencentFake) -> tuple[int, int]:
    return len(aliyun.delivered), len(tencent.delivered)


async def test_failover_on_throttling(gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake) -> None:
    aliyun_server.throttle_next(retry_after=None)
    result = await gateway.send(providers(aliyun_server, tencent_fake), message(), retry=ONCE)
    assert result.ok and result[E164].provider == "tencent"
    assert [(a.provider, a.status.value) for a in result.attempts] == [("aliyun", "rejected"), ("tencent", "accepted")]
    assert result.attempts[0].error is not None and result.attempts[0].error.category is Category.THROTTLED
    assert delivered(aliyun_server, tencent_fake) == (0, 1)


async def test_failover_on_auth_error(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake, tmp_path: Path
) -> None:
    bad = providers(aliyun_server, tencent_fake, access_key_secret="wrong-secret")
    log = tmp_path / "log.db"
    result = await gateway.send(bad, message(), send_log=str(log))
    assert result.ok and result[E164].provider == "tencent"
    error = result.attempts[0].error
    assert error is not None and error.category is Category.AUTH
    assert "wrong-secret" not in repr(result.to_dict()) and "wrong-secret" not in str(error)
    assert len(aliyun_server.server.requests) == 1  # type: ignore[union-attr]
    assert delivered(aliyun_server, tencent_fake) == (0, 1)
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"InvalidAccessKeyId" in stored or b"SignatureDoesNotMatch" in stored  # the error is logged
    for secret in (b"wrong-secret", tencent_fake.settings()["secret_key"].encode(), b"123456"):
        assert secret not in stored  # credentials and the code never are


async def test_timeout_after_receipt_is_unknown_and_not_failed_over(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    aliyun_server.server.fail_next(delay=30.0, after=True)  # type: ignore[union-attr]
    short = providers(
        aliyun_server, tencent_fake, timeout=0.3, connect_timeout=0.3
    )  # only here: a loaded machine is slow
    result = await gateway.send(short, message())
    assert result[E164].status is Status.UNKNOWN
    assert [a.provider for a in result.attempts] == ["aliyun"]
    await await_until(lambda: delivered(aliyun_server, tencent_fake) >= (1, 0), what="the request to arrive")
    assert delivered(aliyun_server, tencent_fake) == (1, 0)  # exactly one delivery
    assert gateway.sleeps == []


async def test_reset_after_receipt_is_unknown(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    aliyun_server.server.fail_next(reset=True, after=True)  # type: ignore[union-attr]
    result = await gateway.send(providers(aliyun_server, tencent_fake), message())
    assert result[E164].status is Status.UNKNOWN
    assert delivered(aliyun_server, tencent_fake) == (1, 0)


async def test_server_error_is_unknown_not_resent(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    aliyun_server.server.fail_next(status=500, json={"Code": "InternalError"})  # type: ignore[union-attr]
    result = await gateway.send(providers(aliyun_server, tencent_fake), message())
    assert result[E164].status is Status.UNKNOWN
    assert len(aliyun_server.server.requests) == 1 and tencent_fake.requests == []  # type: ignore[union-attr]


async def test_unknown_outcome_retried_only_when_opted_in(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    aliyun_server.server.fail_next(status=502)  # type: ignore[union-attr]
    opt_in = RetryPolicy(random=lambda: 1.0, base_delay=0.01, retry_unknown=True)
    result = await gateway.send(providers(aliyun_server, tencent_fake), message(), retry=opt_in)
    assert result.ok and [a.number for a in result.attempts] == [1, 2]
    assert delivered(aliyun_server, tencent_fake) == (1, 0)


async def test_retry_honours_retry_after(gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake) -> None:
    aliyun_server.throttle_next(retry_after=1.5)
    result = await gateway.send(providers(aliyun_server, tencent_fake), message(), retry=NO_JITTER)
    assert result.ok and result[E164].provider == "aliyun"
    assert gateway.sleeps == [1.5]  # x-acs-retry-after: 1500 ms, longer than the 0.01 s backoff
    assert [(a.provider, a.number) for a in result.attempts] == [("aliyun", 1), ("aliyun", 2)]
    assert delivered(aliyun_server, tencent_fake) == (1, 0)


async def test_tencent_throttle_retries_with_backoff(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    tencent_fake.fail_next_request("RequestLimitExceeded", times=2)
    result = await gateway.send({"tencent": tencent_fake.settings()}, message(), retry=NO_JITTER)
    assert result.ok and gateway.sleeps == [0.01, 0.02]
    assert len(tencent_fake.requests) == 3 and len(tencent_fake.delivered) == 1


async def test_unreachable_provider_fails_over(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    dead = providers(aliyun_server, tencent_fake, endpoint=closed)
    result = await gateway.send(dead, message(), retry=NO_JITTER)
    assert result.ok and result[E164].provider == "tencent"
    assert [(a.provider, a.status.value) for a in result.attempts] == [
        ("aliyun", "failed"),
        ("aliyun", "failed"),
        ("aliyun", "failed"),
        ("tencent", "accepted"),
    ]
    assert delivered(aliyun_server, tencent_fake) == (0, 1)


async def test_idempotent_resend_delivers_nothing_new(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    store = MemoryStore()
    config = providers(aliyun_server, tencent_fake)
    first = await gateway.send(config, message(idempotency_key="order-42"), store=store)
    again = await gateway.send(config, message(idempotency_key="order-42"), store=store)
    assert first.ok and again.replayed and again[E164].message_id == first[E164].message_id
    assert len(aliyun_server.server.requests) == 1  # type: ignore[union-attr]
    assert delivered(aliyun_server, tencent_fake) == (1, 0)


async def test_idempotent_resend_after_unknown_outcome_delivers_nothing(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake
) -> None:
    store = MemoryStore()
    config = providers(aliyun_server, tencent_fake, timeout=0.3, connect_timeout=0.3)  # a timeout is the point
    aliyun_server.server.fail_next(delay=30.0, after=True)  # type: ignore[union-attr]
    first = await gateway.send(config, message(idempotency_key="otp-7"), store=store)
    again = await gateway.send(config, message(idempotency_key="otp-7"), store=store)
    assert first[E164].status is Status.UNKNOWN and again.replayed and again[E164].status is Status.UNKNOWN
    await await_until(lambda: delivered(aliyun_server, tencent_fake) >= (1, 0), what="the request to arrive")
    assert delivered(aliyun_server, tencent_fake) == (1, 0)


async def test_idempotency_across_processes_via_redis(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake, redis_url: str
) -> None:
    from smsgate.stores.redis import RedisStore

    config = providers(aliyun_server, tencent_fake)
    stores = [RedisStore(redis_url), RedisStore(redis_url)]  # two clients, as two processes would have
    try:
        await gateway.send(config, message(idempotency_key="shared"), store=stores[0])
        # a sync send's outcome may follow it (Store.write_behind): the other process waits for it
        await await_until(lambda: not (stores[1].get("idem:shared") or "").startswith("pending"), what="the outcome")
        again = await gateway.send(config, message(idempotency_key="shared"), store=stores[1])
    finally:
        for store in stores:
            await store.aclose()
    assert again.replayed and delivered(aliyun_server, tencent_fake) == (1, 0)


@pytest.mark.parametrize("status", [502, 503, 504])
@pytest.mark.parametrize("header", ["Retry-After", "x-acs-retry-after"])
async def test_5xx_with_retry_after_is_unknown_not_resent_not_failed_over(
    gateway: Driver, aliyun_server: AliyunFake, tencent_fake: TencentFake, status: int, header: str
) -> None:
    phones = [f"1380013{n:04d}" for n in range(20)]
    aliyun_server.server_error_next(status, {header: "1000" if header.startswith("x-") else "1"})
    many = Message(to=phones, template="SMS_1", templates={"tencent": "1001"}, params={"code": "123456"})
    settings = {"aliyun": aliyun_server.settings(), "tencent": tencent_fake.settings()}  # no timeout under load
    result = await gateway.send(settings, many)
    assert {r.status for r in result.recipients} == {Status.UNKNOWN}
    assert all("HTTP" in str(r.error) for r in result.recipients)  # the server's answer, not a timeout
    assert all(r.provider == "aliyun" and r.error is not None for r in result.recipients)
    assert len(result.recipients) == 20 and len(result.attempts) == 1
    assert len(aliyun_server.server.requests) == 1  # type: ignore[union-attr]
    assert delivered(aliyun_server, tencent_fake) == (20, 0) and gateway.sleeps == []
