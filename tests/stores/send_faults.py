"""What the store-failure tests share: a twelve-phone keyed send, sync or async, and the check that
every phone the provider received is in its result, with the store failure on it."""

from __future__ import annotations

import asyncio
from typing import Any

from smsgate import AsyncGateway, Gateway, Message, RequestFailed, SendResult, Status, StoreError
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import Store

PHONES = [f"+86138001380{n:02d}" for n in range(12)]


def send(kind: str, provider: MemoryProvider, store: Store, concurrency: int, **options: Any) -> SendResult:
    """The keyed message to :data:`PHONES` through a ``kind`` ("sync" or "async") gateway."""
    message = Message(to=PHONES, template="T", idempotency_key="order-1")
    options |= {"store": store, "send_log": store, "concurrency": concurrency}
    if kind == "sync":
        with Gateway([provider], **options) as gateway:
            return gateway.send(message)

    async def run() -> SendResult:
        async with AsyncGateway([provider], **options) as agateway:
            return await agateway.send(message)

    return asyncio.run(run())


def assert_every_delivery_reported(result: SendResult, provider: MemoryProvider, store_name: str) -> set[str]:
    """The phones the provider received (the failure came after at least three): each accepted in
    the result, every other one failed, the store's failure attached, nothing sent after the call."""
    delivered = {entry.to for entry in provider.outbox}
    assert 3 <= len(delivered) < len(PHONES)  # the ones in flight when the store failed may have left too
    assert {r.phone.e164 for r in result.recipients if r.status is Status.ACCEPTED} == delivered
    unsent = [r for r in result.recipients if r.phone.e164 not in delivered]
    assert unsent and all(r.status is Status.FAILED and isinstance(r.error, RequestFailed) for r in unsent)
    assert isinstance(result.store_error, StoreError) and result.store_error.store == store_name
    assert len(provider.outbox) == len(delivered)  # nothing left after the call returned
    return delivered
