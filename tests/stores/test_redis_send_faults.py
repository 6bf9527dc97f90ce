"""redis-server killed in the middle of a send (sync and async, one and several requests in flight):
every phone the provider received is in the result, the store failure is on it, nothing more leaves."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from smsgate import Message, PhoneNumber, StoreError
from smsgate.policy.idempotency import claim_parts
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


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_send_whose_start_never_answers_sends_nothing(own_redis: RedisServer, kind: str) -> None:
    """redis-server frozen while a keyed send's one ``start`` waits: the send raises the StoreError and
    nothing leaves; once the server runs again, the start landed whole (claim renewed with its pending
    records: the key answers "in progress", never sends again) or not at all, never in part."""
    provider = MemoryProvider(alias="memory")
    store = RedisStore(own_redis.url, timeout=0.5)
    store.set("warm", "1")
    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(StoreError):
            send(kind, provider, store, 1)
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    assert provider.outbox == []
    claim, records = store.get("idem:order-1"), store.log_query()
    if claim is None:
        assert records == []
    else:  # the claim names the message whose pending records it wrote, message and attempt
        sent = claim_parts(claim)[1]
        assert sent is not None and {(r.message_id, r.status) for r in records} == {(sent, "pending")}
        assert {r.kind for r in records} == {"message", "attempt"}
    store.close()
