"""Waiting for an event in tests: poll a condition until it holds, never sleep a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


def wait_until(condition: Callable[[], object], *, timeout: float = 10.0, what: str = "the condition") -> None:
    """Return as soon as ``condition()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.005)


async def await_until(condition: Callable[[], object], *, timeout: float = 10.0, what: str = "the condition") -> None:
    """The asyncio twin of :func:`wait_until`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.005)


def within_one_window(seconds: float, needed: float) -> None:
    """Wait until ``needed`` seconds remain in the current fixed window of ``seconds`` (UTC, as
    ``PhoneLimits`` counts), so that a test counting a limit in real time ends in the window it
    began in. Returns at once but for the last ``needed`` seconds of a window."""
    wait_until(
        lambda: seconds - time.time() % seconds >= needed,
        timeout=needed + 1.0,
        what=f"the next {seconds:g}-second window",
    )
