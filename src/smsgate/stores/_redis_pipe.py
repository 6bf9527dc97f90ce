"""Auto-pipelining for :class:`~smsgate.stores.redis.RedisStore`: the commands of concurrent callers
go to Redis together.

While one batch is on the wire, the commands that callers (tasks of one event loop, or threads)
submit meanwhile queue up, and leave together as the next pipeline: one round trip for all of
them instead of one each. A caller's reply is handed over only after Redis answered the batch
holding its commands, so a write is acknowledged before its caller goes on. Each call's commands
stay together and in order; the pipeline is not a transaction (every compound operation is one
script, atomic on its own). Scripts are called by SHA; when the server has lost them (restarted,
flushed), they are loaded again and only the commands that found them missing are sent again
(those had no effect).

Sync callers may also queue commands *behind* (:meth:`Pipeliner.behind`): nobody waits for them;
they leave ahead of the next caller's commands, in the same round trip, or after ``linger``
seconds from a thread of their own, and a failure of theirs is logged, never raised into the
caller whose round trip carried them.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import hiredis
import redis
import redis.asyncio as aredis

from ._redis_scripts import SCRIPTS
from .base import LINGER

__all__ = ["AsyncPipeliner", "Command", "Pipeliner"]

logger = logging.getLogger("smsgate")

Command = tuple[Any, ...]
"""One Redis command and its arguments, e.g. ``("EVALSHA", sha, 1, key, value)``."""


_pack: Callable[[Command], bytes] = hiredis.pack_command
"""One command in Redis's protocol, packed in C."""


class _Call:
    """One caller's commands, packed (an argument Redis cannot take raises here, before anything is
    queued) and, once the batch holding them was answered, their replies."""

    __slots__ = ("behind", "commands", "data", "error", "replies")

    def __init__(self, commands: Sequence[Command], behind: bool = False) -> None:
        self.commands = commands
        self.behind = behind  # nobody waits for it: see Pipeliner.behind
        self.data = b"".join([_pack(command) for command in commands])
        self.replies: list[Any] | None = None
        self.error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.replies is not None or self.error is not None

    def result(self) -> list[Any]:
        if self.error is not None:
            raise _own(self.error)
        assert self.replies is not None
        for reply in self.replies:
            if isinstance(reply, redis.ResponseError):
                raise reply
        return self.replies

    def logged(self) -> None:
        """A call nobody waits for: its failure, if any, goes to the log."""
        try:
            self.result()
        except Exception as exc:
            logger.warning("RedisStore: a write made behind its caller failed: %s", exc)


def _own(error: BaseException) -> BaseException:
    """A failed batch fails every call in it: each caller raises its own copy (tracebacks apart)."""
    try:
        return copy.copy(error)
    except Exception:  # an exception class that cannot be rebuilt from its args
        return error


_LOADS = b"".join([_pack(("SCRIPT", "LOAD", source)) for source in SCRIPTS.values()])


class _Wire:
    """What one round trip sends: the packed commands of a batch of calls."""

    __slots__ = ("calls", "commands", "data")

    def __init__(self, batch: Sequence[_Call]) -> None:
        self.calls = batch
        self.commands = [command for call in batch for command in call.commands]
        self.data = b"".join([call.data for call in batch])

    def reloading(self, replies: Sequence[Any]) -> tuple[list[int], bytes, int] | None:
        """The commands that found their script missing (so had no effect), after the scripts' loads."""
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, redis.exceptions.NoScriptError)]
        if not missing:
            return None
        data = _LOADS + b"".join([_pack(self.commands[i]) for i in missing])
        return missing, data, len(SCRIPTS) + len(missing)

    def answer(self, replies: list[Any], missing: Sequence[int] = (), again: Sequence[Any] = ()) -> None:
        for i, reply in zip(missing, again[len(SCRIPTS) :], strict=True):
            replies[i] = reply
        start = 0
        for call in self.calls:
            end = start + len(call.commands)
            call.replies = replies[start:end]
            start = end

    def fail(self, exc: BaseException) -> None:
        for call in self.calls:
            if not call.finished:
                call.error = exc


def _read(connection: Any, count: int) -> list[Any]:
    replies: list[Any] = []
    for _ in range(count):
        try:
            replies.append(connection.read_response())
        except redis.ResponseError as exc:  # an error reply: its command's own
            replies.append(exc)
    return replies


async def _aread(connection: Any, count: int) -> list[Any]:
    replies: list[Any] = []
    for _ in range(count):
        try:  # no timeout of its own: the batch has one (see AsyncPipeliner._execute)
            replies.append(await connection.read_response(timeout=math.inf))
        except redis.ResponseError as exc:
            replies.append(exc)
    return replies


class Pipeliner:
    """Auto-pipelining for threads sharing one sync client: the first caller to find no batch on
    the wire sends every queued command; the others wait for their replies (or their turn).
    Commands queued :meth:`behind` leave with the next batch, or from the pipeliner's own thread
    once they waited ``linger`` seconds."""

    def __init__(self, client: redis.Redis, linger: float = LINGER) -> None:
        self._pool = client.connection_pool
        self._connection: Any = None  # its own: one batch is on the wire at a time
        self._pid = 0
        lock = threading.Lock()
        self._ready = threading.Condition(lock)  # a batch finished
        self._wake = threading.Condition(lock)  # the flusher: closing
        self._queue: list[_Call] = []
        self._sending = False
        self.linger = linger
        self._behind = 0  # calls queued behind, not yet in a batch
        self._since = 0.0  # when the first of them was queued
        self.unsent = 0  # calls queued behind, not yet answered
        self._flusher: threading.Thread | None = None
        self._closing = False
        self.round_trips = 0  # pipelines sent, for tests and benchmarks

    def call(self, *commands: Command) -> list[Any]:
        """Send ``commands`` (with whatever else is queued) and return their replies, in order."""
        call = _Call(commands)
        with self._ready:
            self._queue.append(call)
            while self._sending and not call.finished:
                self._ready.wait()
            batch: list[_Call] = []
            if not call.finished:  # nobody is sending and this call is still queued: send the queue
                self._sending = True
                batch, self._queue = self._queue, []
                carried, self._behind = self._behind, 0
        if batch:
            try:
                self._send(_Wire(batch))
            finally:
                with self._ready:
                    self._sending = False
                    self.unsent -= carried
                    self._ready.notify_all()
            if carried:
                for each in batch:
                    if each.behind:
                        each.logged()
        return call.result()

    def behind(self, *commands: Command) -> None:
        """Queue ``commands`` and return: they leave ahead of the next call's, in its round trip, or
        within ``linger`` seconds; their failure is logged. Raises at once for an argument Redis
        cannot take."""
        call = _Call(commands, behind=True)
        with self._ready:
            self._queue.append(call)
            self.unsent += 1
            self._behind += 1
            if self._behind == 1:
                self._since = time.monotonic()
            self._closing = False
            if self._flusher is None or not self._flusher.is_alive():  # (not alive: made before a fork)
                self._flusher = threading.Thread(target=self._linger, name="smsgate-redis-behind")
                self._flusher.start()

    def flush(self) -> None:
        """Return once every call queued :meth:`behind` so far was answered (their failures logged)."""
        if self.unsent:
            with contextlib.suppress(Exception):  # the batch failed: each call behind logged it
                self.call()

    def _linger(self) -> None:
        """The flusher's thread: sends what waited ``linger`` seconds behind; ends on :meth:`close`,
        or once nothing was queued behind for ``linger`` seconds (a busy store keeps one thread)."""
        seen = -1.0
        while True:
            with self._ready:
                if self._behind:
                    wait = self._since + self.linger - time.monotonic()
                elif self._closing or self._since == seen:
                    self._flusher = None
                    return
                else:
                    seen, wait = self._since, self.linger
                if wait > 0:
                    self._wake.wait(wait)
                    continue
            self.flush()

    def _send(self, wire: _Wire) -> None:
        try:
            if wire.commands:
                replies = self._execute(wire.data, len(wire.commands))
                retry = wire.reloading(replies)
                if retry is None:
                    wire.answer(replies)
                else:
                    wire.answer(replies, retry[0], self._execute(*retry[1:]))
            else:
                wire.answer([])
        except BaseException as exc:
            wire.fail(exc)
            if not isinstance(exc, Exception):
                raise

    def _execute(self, data: bytes, count: int) -> list[Any]:
        """One round trip; a connection that failed is dropped (the next batch connects again)."""
        connection = self._connected()
        try:
            connection.send_packed_command([data], check_health=False)
            self.round_trips += 1
            return _read(connection, count)
        except BaseException:
            connection.disconnect()
            raise

    def _connected(self) -> Any:
        """The pipeliner's connection, checked as the client's pool checks its own before use."""
        if self._connection is None or self._pid != os.getpid():  # a forked child makes its own
            self._connection, self._pid = self._pool.connection_class(**self._pool.connection_kwargs), os.getpid()
        connection = self._connection
        connection.connect()
        try:
            if connection.can_read():  # unread data or closed by the server: start afresh
                raise redis.ConnectionError("the connection is not ready")
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            connection.disconnect()
            connection.connect()
        return connection

    def close(self) -> None:
        """Send what is queued behind (its flusher ends), then disconnect."""
        self.flush()
        with self._ready:
            self._closing = True
            self._wake.notify_all()
        if self._connection is not None and self._pid == os.getpid():
            self._connection.disconnect()


class AsyncPipeliner:
    """Auto-pipelining for the tasks of one event loop sharing one async client: a sender task runs
    while commands are queued and ends when none are left (nothing outlives the calls it serves)."""

    def __init__(self, client: aredis.Redis) -> None:
        self.client = client
        self.loop = asyncio.get_running_loop()  # made by a task of the loop it serves
        self._pool = client.connection_pool
        self._connection: Any = None
        self._queue: list[tuple[_Call, asyncio.Future[None]]] = []
        self._sender: asyncio.Task[None] | None = None
        self.round_trips = 0

    async def call(self, *commands: Command) -> list[Any]:
        """Send ``commands`` (with whatever else is queued) and return their replies, in order."""
        call = _Call(commands)
        done = self.loop.create_future()
        self._queue.append((call, done))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_all())
        await done
        return call.result()

    async def _send_all(self) -> None:
        batch: list[tuple[_Call, asyncio.Future[None]]] = []
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                await self._send(_Wire([call for call, _ in batch]))
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        except BaseException as exc:  # cancelled (its loop is closing): every waiting call fails
            for call, done in [*batch, *self._queue]:
                if not call.finished:
                    call.error = redis.ConnectionError(f"the Redis pipeline stopped ({type(exc).__name__})")
                if not done.done():
                    done.set_result(None)
            self._queue = []
            raise
        finally:
            self._sender = None

    async def _send(self, wire: _Wire) -> None:
        try:
            if wire.commands:
                replies = await self._execute(wire.data, len(wire.commands))
                retry = wire.reloading(replies)
                if retry is None:
                    wire.answer(replies)
                else:
                    wire.answer(replies, retry[0], await self._execute(*retry[1:]))
            else:
                wire.answer([])
        except Exception as exc:
            wire.fail(exc)

    async def _execute(self, data: bytes, count: int) -> list[Any]:
        connection = await self._connected()
        try:
            await connection.send_packed_command([data], check_health=False)
            self.round_trips += 1
            timeout = self._pool.connection_kwargs.get("socket_timeout")
            try:  # one timeout for every reply of the batch, not one each
                return await asyncio.wait_for(_aread(connection, count), timeout)
            except asyncio.TimeoutError:
                raise redis.TimeoutError(f"no reply from Redis within {timeout} s") from None
        except BaseException:
            await connection.disconnect()
            raise

    async def _connected(self) -> Any:
        if self._connection is None:
            self._connection = self._pool.connection_class(**self._pool.connection_kwargs)
        connection = self._connection
        await connection.connect()
        try:
            ready = getattr(connection, "can_read", None) or connection.can_read_destructive  # redis-py < 8
            if await ready():
                raise redis.ConnectionError("the connection is not ready")
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            await connection.disconnect()
            await connection.connect()
        return connection

    async def aclose(self) -> None:
        if self._connection is not None:
            await self._connection.disconnect()
