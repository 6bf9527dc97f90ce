"""The two drivers of campaign flows: threads and blocking calls, or asyncio.

This is the one place that sends a wave of batches concurrently (``Together``: the flow bounds a
wave by ``concurrency``); when the gateways grow a streaming ``send_many``, it is the place to change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._gateway import AsyncGateway, Gateway
from .._steps import Call
from ._flow import Together

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
                reply = list(pool.map(lambda m: _caught(gateway.send, m), step.messages))
            else:
                time.sleep(step)
                reply = None
            error = None
        except Exception as exc:
            reply, error = None, exc


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
                reply = await asyncio.gather(*(gateway.send(m) for m in step.messages), return_exceptions=True)
            else:
                await asyncio.sleep(step)
                reply = None
            error = None
        except Exception as exc:
            reply, error = None, exc
