"""The two drivers of campaign flows: threads and blocking calls, or asyncio.

This is the one place that sends a chunk's batches concurrently (``Together``), bounded by
``concurrency``; when the gateways grow a streaming ``send_many``, it is the one place to change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._gateway import AsyncGateway, Gateway
from .._steps import Call
from ._flow import Send, Together

__all__ = ["adrive", "drive"]


def drive(flow: Generator[Any, Any, Any], gateway: Gateway, pool: ThreadPoolExecutor) -> Any:
    """Run ``flow`` to its end, blocking; ``Together`` flows run on ``pool``."""
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
            elif isinstance(step, Send):
                reply = gateway.send(step.message)
            elif isinstance(step, Together):
                reply = list(pool.map(lambda f: _caught(drive, f, gateway, pool), step.flows))
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


async def adrive(flow: Generator[Any, Any, Any], gateway: AsyncGateway, limit: asyncio.Semaphore) -> Any:
    """Run ``flow`` to its end on the event loop; at most ``limit`` ``Together`` flows at a time."""
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
            elif isinstance(step, Send):
                reply = await gateway.send(step.message)
            elif isinstance(step, Together):
                reply = await asyncio.gather(*(_bounded(f, gateway, limit) for f in step.flows), return_exceptions=True)
            else:
                await asyncio.sleep(step)
                reply = None
            error = None
        except Exception as exc:
            reply, error = None, exc


async def _bounded(flow: Generator[Any, Any, Any], gateway: AsyncGateway, limit: asyncio.Semaphore) -> Any:
    async with limit:
        return await adrive(flow, gateway, limit)
