"""redis-server killed in the middle of a send (sync and async, one and several requests in flight):
every phone the provider received is in the result, the store failure is on it, nothing more leaves."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from smsgate import AsyncGateway, Gateway, Message, PhoneNumber, RequestFailed, Status, StoreError
from smsgate.providers.memory import MemoryProvider
from smsgate.stores.redis import RedisStore
from tests.fixtures.redis import RedisServer

PHONES = [f"+86138001380{n:02d}" for n in range(12)]


class KillsRedis(MemoryProvider):
    """Takes one phone a request, and kills redis-server as its ``kill_on``-th delivery is made."""

    max_recipients: ClassVar[int] = 1

    def __init__(self, server: RedisServer, kill_on: int) -> None:
        super().__init__(alias="memory")
        self.server, self.kill_on, self.made = server, kill_on, 0
        self.lock = threading.Lock()

    def deliver(self, message: Message, recipients: Sequence[PhoneNumber]) -> Any:
        rows = super().deliver(message, recipients)
        with self.lock:
            self.made += 1
            if self.made == self.kill_on:
                self.server.process.kill()
                self.server.process.wait()
        return rows


def send(kind: str, provider: MemoryProvider, store: RedisStore, concurrency: int) -> Any:
    message = Message(to=PHONES, template="T", idempotency_key="order-1")
    options: dict[str, Any] = {"store": store, "send_log": store, "concurrency": concurrency}
    if kind == "sync":
        with Gateway([provider], **options) as gateway:
            return gateway.send(message)

    async def run() -> Any:
        async with AsyncGateway([provider], **options) as agateway:
            return await agateway.send(message)

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_every_delivery_is_in_the_result(own_redis: RedisServer, kind: str, concurrency: int) -> None:
    provider = KillsRedis(own_redis, kill_on=3)
    store = RedisStore(own_redis.url, timeout=2.0)
    result = send(kind, provider, store, concurrency)
    delivered = {entry.to for entry in provider.outbox}
    assert 3 <= len(delivered) < len(PHONES)  # the ones in flight when it died may have left too
    assert {r.phone.e164 for r in result.recipients if r.status is Status.ACCEPTED} == delivered
    unsent = [r for r in result.recipients if r.phone.e164 not in delivered]
    assert unsent and all(r.status is Status.FAILED and isinstance(r.error, RequestFailed) for r in unsent)
    assert isinstance(result.store_error, StoreError) and result.store_error.store == "RedisStore"
    assert len(provider.outbox) == len(delivered)  # nothing left after the call returned
    store.close()
