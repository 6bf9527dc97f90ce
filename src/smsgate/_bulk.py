"""The loops behind ``send_many``: read messages as they come, group them (``_batching``), keep at
most ``width`` sends in flight, yield one :class:`Sent` per message as its send finishes.

A partial group is sent when the source ends, when it is closed, or when no message arrived for
``linger`` seconds (a slow source). Every message read is sent; nothing outlives the call.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from ._batching import Grouper, Unit, asend_unit, send_unit
from ._models import Message, SendResult, Sent

if TYPE_CHECKING:
    import asyncio

__all__ = ["LINGER", "astream", "stream"]

LINGER = 0.05  # seconds a partial group waits for the next message
_END: Any = object()


def stream(
    send: Callable[[Message], SendResult], grouper: Grouper, messages: Iterable[Any], width: int, linger: float = LINGER
) -> Iterator[Sent]:
    """Send ``messages`` on ``width`` threads; see the module docstring."""
    source = iter(messages)
    lock = threading.Lock()  # the grouper and ``running`` are shared with the linger timer's thread
    running: set[Future[Iterable[Sent]]] = set()
    timer: list[threading.Timer] = []  # the armed timer, while a partial group waits

    with ThreadPoolExecutor(width, thread_name_prefix="smsgate-bulk") as pool:

        def submit(units: list[Unit]) -> None:  # under the lock
            for unit in units:
                running.add(pool.submit(send_unit, unit, send))
            if grouper.waiting == bool(timer):
                return
            if timer:
                timer.pop().cancel()
            else:
                timer.append(threading.Timer(linger, lingered))
                timer[0].daemon = True
                timer[0].start()

        def lingered() -> None:
            with lock:
                if timer and timer[0] is threading.current_thread():
                    timer.clear()
                    submit(grouper.flush())

        exhausted = False
        try:
            while True:
                while not exhausted and len(running) < width:
                    message = next(source, _END)
                    with lock:
                        exhausted = message is _END
                        submit(grouper.flush() if exhausted else grouper.add(message))
                with lock:
                    now = set(running)
                if not now:
                    return
                finished, _ = wait(now, return_when=FIRST_COMPLETED)
                with lock:
                    running.difference_update(finished)
                for future in finished:
                    yield from future.result()
        finally:
            with lock:  # every message read is sent, and nothing in flight is cut off
                submit(grouper.flush())
                now = set(running)
            wait(now)


async def astream(
    send: Callable[[Message], Awaitable[SendResult]],
    grouper: Grouper,
    messages: Iterable[Any] | AsyncIterable[Any],
    width: int,
    linger: float = LINGER,
) -> AsyncIterator[Sent]:
    """The asyncio twin of :func:`stream`: ``width`` sends as tasks; ``messages`` may be async."""
    import asyncio

    loop = asyncio.get_running_loop()
    sync = iter(messages) if not isinstance(messages, AsyncIterable) else None
    source = aiter(messages) if isinstance(messages, AsyncIterable) else None
    running: set[asyncio.Task[Iterable[Sent]]] = set()
    timer: list[asyncio.TimerHandle] = []

    def submit(units: list[Unit]) -> None:
        for unit in units:
            running.add(asyncio.ensure_future(asend_unit(unit, send)))
        if grouper.waiting == bool(timer):
            return
        if timer:
            timer.pop().cancel()
        else:
            timer.append(loop.call_later(linger, lingered))

    def lingered() -> None:
        timer.clear()
        submit(grouper.flush())

    exhausted = False
    try:
        while True:
            while not exhausted and len(running) < width:
                message = next(sync, _END) if sync is not None else await anext(source, _END)  # type: ignore[arg-type]
                exhausted = message is _END
                submit(grouper.flush() if exhausted else grouper.add(message))
            if not running:
                return
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            running.difference_update(finished)
            for task in finished:
                for sent in task.result():
                    yield sent
    finally:
        submit(grouper.flush())  # every message read is sent, and nothing in flight is cut off
        if running:
            await asyncio.wait(running)
