"""redis-server killed in the middle of a send (sync and async, one and several requests in flight):
every phone the provider received is in the result, the store failure is on it, nothing more leaves."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from smsgate import Message, PhoneNumber
from smsgate.providers.memory import MemoryProvider
from smsgate.stores.redis import RedisStore
from tests.fixtures.redis import RedisServer

from .send_faults import assert_every_delivery_reported, send


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


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_every_delivery_is_in_the_result(own_redis: RedisServer, kind: str, concurrency: int) -> None:
    provider = KillsRedis(own_redis, kill_on=3)
    store = RedisStore(own_redis.url, timeout=2.0)
    assert_every_delivery_reported(send(kind, provider, store, concurrency), provider, "RedisStore")
    store.close()
