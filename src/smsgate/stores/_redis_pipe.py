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
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Sequence
from typing import Any

import redis
import redis.asyncio as aredis
from hiredis import pack_command

from ._redis_scripts import SCRIPTS

__all__ = ["AsyncPipeliner", "Command", "Pipeliner"]

Command = tuple[Any, ...]
"""One Redis command and its arguments, e.g. ``("EVALSHA", sha, 1, key, value)``."""


class _Call:
    """One caller's commands and, once the batch holding them was answered, their replies."""

    __slots__ = ("commands", "error", "replies")

    def __init__(self, commands: Sequence[Command]) -> None:
        self.commands = commands
        self.replies: list[Any] | None = None
        self.error: BaseException | None = None

    @property
    def finished(self) -> bool:
        return self.replies is not None or self.error is not None

    def result(self) -> list[Any]:
        if self.error is not None:
            raise copy.copy(self.error)  # a failed batch fails every call in it: each raises its own copy
        assert self.replies is not None
        for reply in self.replies:
            if isinstance(reply, redis.ResponseError):
                raise reply
        return self.replies


_LOADS: list[Command] = [("SCRIPT", "LOAD", source) for source in SCRIPTS.values()]


def _packed(commands: Sequence[Command]) -> bytes:
    """The commands as one write, packed in C (hiredis)."""
    return b"".join([pack_command(command) for command in commands])


def _missing(replies: Sequence[Any]) -> list[int]:
    return [i for i, reply in enumerate(replies) if isinstance(reply, redis.exceptions.NoScriptError)]


def _answer(batch: Sequence[_Call], replies: Sequence[Any]) -> None:
    start = 0
    for call in batch:
        end = start + len(call.commands)
        call.replies = list(replies[start:end])
        start = end


class Pipeliner:
    """Auto-pipelining for threads sharing one sync client: the first caller to find no batch on
    the wire sends every queued command; the others wait for their replies (or their turn)."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._ready = threading.Condition()
        self._queue: list[_Call] = []
        self._sending = False
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
        if batch:
            try:
                self._send(batch)
            finally:
                with self._ready:
                    self._sending = False
                    self._ready.notify_all()
        return call.result()

    def _send(self, batch: list[_Call]) -> None:
        try:
            commands = [command for call in batch for command in call.commands]
            replies = self._execute(commands, reload=False)
            missing = _missing(replies)
            if missing:
                again = self._execute([commands[i] for i in missing], reload=True)
                for i, reply in zip(missing, again[len(SCRIPTS) :], strict=True):
                    replies[i] = reply
            _answer(batch, replies)
        except BaseException as exc:
            for call in batch:
                if not call.finished:
                    call.error = exc
            if not isinstance(exc, Exception):
                raise

    def _execute(self, commands: Sequence[Command], reload: bool) -> list[Any]:
        """One round trip on a connection of the client's pool; a connection that failed is dropped."""
        if reload:
            commands = [*_LOADS, *commands]
        pool = self._client.connection_pool
        connection: Any = pool.get_connection()
        try:
            connection.send_packed_command([_packed(commands)], check_health=False)
            self.round_trips += 1
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(connection.read_response())
                except redis.ResponseError as exc:  # an error reply: this command's own
                    replies.append(exc)
        except BaseException:
            connection.disconnect()
            raise
        finally:
            pool.release(connection)
        return replies


class AsyncPipeliner:
    """Auto-pipelining for the tasks of one event loop sharing one async client: a sender task runs
    while commands are queued and ends when none are left (nothing outlives the calls it serves)."""

    def __init__(self, client: aredis.Redis) -> None:
        self._client = client
        self._queue: list[tuple[_Call, asyncio.Future[None]]] = []
        self._sender: asyncio.Task[None] | None = None
        self.round_trips = 0

    async def call(self, *commands: Command) -> list[Any]:
        """Send ``commands`` (with whatever else is queued) and return their replies, in order."""
        call = _Call(commands)
        done = asyncio.get_running_loop().create_future()
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
                await self._send([call for call, _ in batch])
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        except BaseException as exc:  # cancelled (the loop is closing): fail every waiting call
            for call, done in [*batch, *self._queue]:
                call.error = redis.ConnectionError(f"Redis pipeline stopped: {type(exc).__name__}")
                if not done.done():
                    done.set_result(None)
            self._queue = []
            raise
        finally:
            self._sender = None

    async def _send(self, batch: list[_Call]) -> None:
        try:
            commands = [command for call in batch for command in call.commands]
            replies = await self._execute(commands, reload=False)
            missing = _missing(replies)
            if missing:
                again = await self._execute([commands[i] for i in missing], reload=True)
                for i, reply in zip(missing, again[len(SCRIPTS) :], strict=True):
                    replies[i] = reply
            _answer(batch, replies)
        except Exception as exc:
            for call in batch:
                call.error = exc

    async def _execute(self, commands: Sequence[Command], reload: bool) -> list[Any]:
        if reload:
            commands = [*_LOADS, *commands]
        pool = self._client.connection_pool
        connection: Any = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            await connection.send_packed_command([_packed(commands)], check_health=False)
            self.round_trips += 1
            replies: list[Any] = []
            for _ in commands:
                try:
                    replies.append(await connection.read_response())
                except redis.ResponseError as exc:
                    replies.append(exc)
        except BaseException:
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)
        return replies
