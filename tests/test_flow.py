"""The send flow under store faults: a store failure never hides a delivery, nothing leaves after it."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from smsgate import AsyncGateway, Gateway, Message, RequestFailed, Status
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import MemoryStore

PHONES = [f"+86138001380{n:02d}" for n in range(10)]


class OneAtATime(MemoryProvider):
    """A sink taking one phone a request, so a message makes many requests."""

    max_recipients: ClassVar[int] = 1


class FailingLog(MemoryStore):
    """A send log whose ``fail_on``-th record write (and every one after it) fails."""

    def __init__(self, fail_on: int) -> None:
        super().__init__()
        self.writes = 0
        self.fail_on = fail_on

    def log_put(self, record: Any) -> None:
        self.writes += 1
        if self.writes >= self.fail_on:
            raise OSError("disk full")
        super().log_put(record)


def send(kind: str, provider: MemoryProvider, message: Message, **options: Any) -> Any:
    if kind == "sync":
        with Gateway([provider], **options) as gateway:
            return gateway.send(message)

    async def run() -> Any:
        async with AsyncGateway([provider], **options) as agateway:
            return await agateway.send(message)

    return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("fail_on", [13, 15, 20])
def test_a_log_failing_mid_send_returns_every_delivery_and_sends_nothing_more(kind: str, fail_on: int) -> None:
    # 11 pending records (the message's and ten requests') in one write, then one per finished request
    provider = OneAtATime(alias="memory")
    result = send(kind, provider, Message(to=PHONES, template="T"), send_log=FailingLog(fail_on), concurrency=1)
    delivered = {m.to for m in provider.outbox}
    assert len(delivered) == fail_on - 11  # the request whose record failed was the last to leave
    assert {r.phone.e164 for r in result.recipients if r.status is Status.ACCEPTED} == delivered
    unsent = [r for r in result.recipients if r.phone.e164 not in delivered]
    assert all(r.status is Status.FAILED and isinstance(r.error, RequestFailed) for r in unsent)
    assert isinstance(result.store_error, OSError) and "store_error=OSError" in repr(result)
    assert len(result.recipients) == 10 and len(provider.outbox) == len(delivered)


def test_with_requests_in_flight_every_delivery_is_in_the_result(kind: str) -> None:
    provider = OneAtATime(alias="memory")
    result = send(kind, provider, Message(to=PHONES, template="T"), send_log=FailingLog(14), concurrency=4)
    delivered = {m.to for m in provider.outbox}
    assert 3 <= len(delivered) < 10
    assert {r.phone.e164 for r in result.recipients if r.status is Status.ACCEPTED} == delivered
    assert result.store_error is not None


def test_a_log_failing_before_anything_left_fails_the_send(kind: str) -> None:
    provider = OneAtATime(alias="memory")
    with pytest.raises(OSError, match="disk full"):
        send(kind, provider, Message(to=PHONES, template="T"), send_log=FailingLog(1))
    assert provider.outbox == []


def test_one_async_gateway_serves_several_event_loops() -> None:
    provider = OneAtATime(alias="memory")
    gateway = AsyncGateway([provider], concurrency=2)  # built outside any loop
    for _ in range(2):
        assert asyncio.run(gateway.send(Message(to=PHONES, template="T"))).ok
    assert len(provider.outbox) == 20


def test_result_reprs_count_rows() -> None:
    provider = MemoryProvider(alias="memory")
    phones = [f"+861380013{n:04d}" for n in range(1000)]
    with Gateway([provider]) as gateway:
        result = gateway.send(Message(to=phones, template="T", params={"code": "4711"}))
    assert repr(result) == "SendResult(1000 accepted, attempts=1)"
