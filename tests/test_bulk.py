"""The ``send_many`` loops: a slow source's partial group still leaves; every message read is sent."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from smsgate import AsyncGateway, Gateway, InvalidRequest, Message
from smsgate.providers.memory import MemoryProvider
from tests.waits import await_until, wait_until


def one(n: int) -> Message:
    return Message(f"1380013{n:04d}", template="T")


def test_a_slow_source_does_not_hold_back_its_partial_group() -> None:
    sink = MemoryProvider()
    release = threading.Event()

    def source() -> Iterator[Message]:
        yield one(1)
        yield one(2)
        release.wait(10)  # the source stalls until the first two were delivered
        yield one(3)

    with Gateway([sink]) as gateway:
        results: list[Any] = []
        reader = threading.Thread(target=lambda: results.extend(gateway.send_many(source())))
        reader.start()
        try:
            wait_until(lambda: len(sink.outbox) == 2, what="the partial group sent while the source stalls")
        finally:
            release.set()
            reader.join(10)
    assert len(results) == 3 and all(sent.ok for sent in results) and len(sink.outbox) == 3


async def test_a_slow_async_source_does_not_hold_back_its_partial_group() -> None:
    sink = MemoryProvider()
    release = asyncio.Event()

    async def source() -> AsyncIterator[Message]:
        yield one(1)
        yield one(2)
        await release.wait()
        yield one(3)

    async with AsyncGateway([sink]) as gateway:

        async def watch() -> None:
            await await_until(lambda: len(sink.outbox) == 2, what="the partial group sent while the source stalls")
            release.set()

        watcher = asyncio.ensure_future(watch())
        results = [sent async for sent in gateway.send_many(source())]
        await watcher
    assert len(results) == 3 and all(sent.ok for sent in results) and len(sink.outbox) == 3


def test_stopping_early_sends_every_message_read() -> None:
    sink = MemoryProvider()
    read: list[int] = []

    def source() -> Iterator[Message]:
        for n in range(5000):
            read.append(n)
            yield one(n)

    with Gateway([sink]) as gateway:
        stream = gateway.send_many(source(), in_flight=2)
        first = next(stream)
        stream.close()
    assert first.ok and len(read) < 5000
    assert sorted(e.to for e in sink.outbox) == sorted(f"+861380013{n:04d}" for n in read)  # none cut off


async def test_something_that_is_not_a_message_is_refused_alone() -> None:
    sink = MemoryProvider()
    async with AsyncGateway([sink]) as gateway:
        results = [sent async for sent in gateway.send_many([one(1), {"to": "13800138000"}, one(2)])]  # type: ignore[list-item]
    (bad,) = [sent for sent in results if sent.error is not None]
    assert isinstance(bad.error, InvalidRequest) and "Message objects" in str(bad.error)
    assert len(sink.outbox) == 2
