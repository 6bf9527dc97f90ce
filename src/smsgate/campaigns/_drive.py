"""The two drivers of campaign flows: threads and blocking calls, or asyncio.

A wave of batches (``Together``: the flow bounds a wave by ``concurrency``) goes through the
gateway's ``send_many``; lookups (``Ask``) go over the gateway's transport, concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._gateway import AsyncGateway, Gateway
from .._models import Message, SendResult, Sent
from .._steps import Call
from ._flow import Together
from ._settle import Ask

__all__ = ["adrive", "drive"]


def drive(flow: Generator[Any, Any, Any], gateway: Gateway, pool: ThreadPoolExecutor) -> Any:
    """Run ``flow`` to its end, blocking; ``Together`` messages are sent on ``pool``."""
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = flow.send(reply) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        try:
            if isinstance(step, Call):
                reply = getattr(step.target, step.name)(*step.args)
            elif isinstance(step, Together):
                reply = _in_order(step.messages, gateway.send_many(step.messages, in_flight=len(step.messages)))
            elif isinstance(step, Ask):
                reply = list(pool.map(lambda r: _caught(gateway.transport.handle_request, r), step.requests))
            else:
                time.sleep(step)
                reply = None
            error = None
        except Exception as exc:
            reply, error = None, exc


def _in_order(messages: list[Message], sent: Iterable[Sent]) -> list[SendResult | Exception]:
    """Each message's result, or the exception that refused it, in the order of ``messages``."""
    found = {id(s.message): s.result if s.result is not None else s.error for s in sent}
    return [found[id(m)] for m in messages]  # type: ignore[misc]


def _caught(run: Any, *args: Any) -> Any:
    try:
        return run(*args)
    except Exception as exc:
        return exc


async def adrive(flow: Generator[Any, Any, Any], gateway: AsyncGateway) -> Any:
    """Run ``flow`` to its end on the event loop; ``Together`` messages as concurrent tasks."""
    reply: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = flow.send(reply) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        try:
            if isinstance(step, Call):
                reply = await getattr(step.target, "a" + step.name)(*step.args)
            elif isinstance(step, Together):
                sent = gateway.send_many(step.messages, in_flight=len(step.messages))
                reply = _in_order(step.messages, [s async for s in sent])
            elif isinstance(step, Ask):
                asked = (gateway.transport.handle_async_request(r) for r in step.requests)
                reply = await asyncio.gather(*asked, return_exceptions=True)
            else:
                await asyncio.sleep(step)
                reply = None
            error = None
        except Exception as exc:
            reply, error = None, exc
