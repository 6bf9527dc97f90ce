"""``RedisStore``: shared by many processes; every compound operation is one server-side Lua script.

Needs the ``redis`` extra (``pip install smsgate[redis]``). Keys are prefixed (``smsgate:`` by
default). The send log keeps each record as a string and indexes it in sorted sets by time,
message and phone; ``log_ttl`` bounds its retention. The commands of concurrent sends (tasks of
one event loop, or threads) are pipelined together (``_redis_pipe``): one round trip for all of
them, each caller answered once Redis acknowledged its commands.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from .._reports import DeliveryReport, InboundMessage
from ._codec import load_inbound
from .base import Keep, LogRecord, Refusal, Reserve, Start, Window, translating

try:
    import hiredis  # noqa: F401  (packs pipelined commands in C)
    import redis
    import redis.asyncio as aredis
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("RedisStore needs the redis and hiredis packages: pip install 'smsgate[redis]'") from exc

from ._redis_layout import RedisLayout
from ._redis_pipe import AsyncPipeliner, Command, Pipeliner

__all__ = ["RedisStore"]


@translating(redis.RedisError)
class RedisStore(RedisLayout):
    """A store in Redis. ``url`` like ``redis://127.0.0.1:6379/0``; or pass ready ``client``s.

    ``timeout`` bounds connecting and each reply (seconds); a failure raises :class:`~smsgate.StoreError`.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "smsgate:",
        log_ttl: float | None = 30 * 86400,
        timeout: float = 10.0,
        client: redis.Redis | None = None,
        async_client: aredis.Redis | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.log_ttl = log_ttl
        self.timeout = timeout
        self._sync = client or redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._pipe = Pipeliner(self._sync)
        self._async = async_client
        self._own_async = async_client is None
        self._apipe: AsyncPipeliner | None = None  # of the client and loop in use
        self._aloop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:  # the URL may carry a password
        return f"<RedisStore prefix={self.prefix!r}>"

    def _client(self) -> aredis.Redis:
        """The async client of the running loop (its connections are bound to the loop that made them)."""
        loop = asyncio.get_running_loop()
        if self._async is not None and self._own_async and self._aloop is not loop:
            self._async = None
        self._aloop = loop
        if self._async is None:
            self._async = aredis.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
        return self._async

    def _one(self, command: Command) -> Any:
        return self._pipe.call(command)[0]

    async def _aone(self, command: Command) -> Any:
        if self._pipe.unsent:
            await self._behind_sent()
        pipe = self._apipe
        if pipe is None or pipe.loop is not asyncio.get_running_loop():
            pipe = self._apipeliner()
        return (await pipe.call(command))[0]

    async def _behind_sent(self) -> None:
        """Sync writes left behind go first: they travel on another connection."""
        await asyncio.to_thread(self._pipe.flush)

    def _apipeliner(self) -> AsyncPipeliner:
        """The pipeliner of the running loop and its client (made anew when either changed)."""
        client = self._client()
        if self._apipe is None or self._apipe.client is not client or self._apipe.loop is not self._aloop:
            self._apipe = AsyncPipeliner(client)
        return self._apipe

    # -- sync ---------------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        return self._decode(self._one(("GET", self._k(key))))

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return [self._decode(v) for v in self._one(("MGET", *[self._k(k) for k in keys]))]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._one(self._set(key, value, ttl))

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self._decode(self._one(self._script("add", [self._k(key)], [value, self._ms(ttl)])))

    def delete(self, key: str) -> None:
        self._one(("DEL", self._k(key)))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(self._one(self._script("incr", [self._k(key)], [amount, self._ms(ttl)])))

    def hit(self, windows: Sequence[Window]) -> int | None:
        keys, args = self._hit_args(windows)
        index = int(self._one(self._script("hit", keys, args)))
        return None if index < 0 else index

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        wait = self._one(self._script("reserve", [self._k(key)], [interval, burst, max_wait, now]))
        return None if wait is None else float(wait)

    def log_put(self, record: LogRecord) -> None:
        self._one(self._write((record,), None, None))

    def write(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: tuple[str, str, float] | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        if records or keep is not None or forget is not None:
            self._one(self._write(records, keep, forget))

    def write_behind(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: tuple[str, str, float] | None = None,
        forget: str | None = None,
    ) -> None:
        """Queued to leave ahead of this store's next command, in its round trip (or within
        :data:`~smsgate.stores.base.LINGER` seconds, or on :meth:`close`)."""
        if records or keep is not None or forget is not None:
            self._pipe.behind(self._write(records, keep, forget))

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return self._admitted(self._one(self._admit(blocked, claim, windows)))

    def start(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        if not (blocked or claim or windows or reserves):  # a send log alone: the write script is cheaper
            if records or keep is not None:
                self._one(self._write(records, keep, None))
            return Start(None, [], True)
        return self._started(self._one(self._start(blocked, claim, windows, reserves, records, keep)))

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        if not all(name in self._BATCHED for name, _ in calls):
            return super().run(calls)
        return self._replies(calls, self._pipe.call(*[self._command(name, args) for name, args in calls]))

    def log_query(self, **filters: Any) -> list[LogRecord]:
        return self._found(self._one(self._read(filters)), filters)

    def record_report(self, report: DeliveryReport) -> bool:
        matched = None
        if report.provider_message_id is not None:
            matched = self._matching(report, self._one(self._refs(report))[::2])
        keys, args = self._report_args(report, matched)
        if not self._one(self._script("report", keys, args)):
            return False
        report.message_id = matched
        return True

    def reports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        return self._reports_of(self._one(self._reports(message_id, phone, limit)), phone, limit)

    def record_inbound(self, message: InboundMessage) -> bool:
        keys, args = self._inbound_args(message)
        return bool(self._one(self._script("inbound", keys, args)))

    def inbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        return [load_inbound(row) for row in self._one(self._inbound(phone, limit)) if row is not None]

    def close(self) -> None:
        self._pipe.close()
        self._sync.close()

    # -- async --------------------------------------------------------------------------------

    async def aget(self, key: str) -> str | None:
        return self._decode(await self._aone(("GET", self._k(key))))

    async def aget_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return [self._decode(v) for v in await self._aone(("MGET", *[self._k(k) for k in keys]))]

    async def aset(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._aone(self._set(key, value, ttl))

    async def aadd(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self._decode(await self._aone(self._script("add", [self._k(key)], [value, self._ms(ttl)])))

    async def adelete(self, key: str) -> None:
        await self._aone(("DEL", self._k(key)))

    async def aincr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(await self._aone(self._script("incr", [self._k(key)], [amount, self._ms(ttl)])))

    async def ahit(self, windows: Sequence[Window]) -> int | None:
        keys, args = self._hit_args(windows)
        index = int(await self._aone(self._script("hit", keys, args)))
        return None if index < 0 else index

    async def areserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        wait = await self._aone(self._script("reserve", [self._k(key)], [interval, burst, max_wait, now]))
        return None if wait is None else float(wait)

    async def alog_put(self, record: LogRecord) -> None:
        await self._aone(self._write((record,), None, None))

    async def awrite(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: tuple[str, str, float] | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        if records or keep is not None or forget is not None:
            await self._aone(self._write(records, keep, forget))

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return self._admitted(await self._aone(self._admit(blocked, claim, windows)))

    async def astart(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        if not (blocked or claim or windows or reserves):
            if records or keep is not None:
                await self._aone(self._write(records, keep, None))
            return Start(None, [], True)
        return self._started(await self._aone(self._start(blocked, claim, windows, reserves, records, keep)))

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        if not all(name in self._BATCHED for name, _ in calls):
            return [await getattr(self, "a" + name)(*args) for name, args in calls]
        commands = [self._command(name, args) for name, args in calls]
        if self._pipe.unsent:
            await self._behind_sent()
        return self._replies(calls, await self._apipeliner().call(*commands))

    async def alog_query(self, **filters: Any) -> list[LogRecord]:
        return self._found(await self._aone(self._read(filters)), filters)

    async def arecord_report(self, report: DeliveryReport) -> bool:
        matched = None
        if report.provider_message_id is not None:
            matched = self._matching(report, (await self._aone(self._refs(report)))[::2])
        keys, args = self._report_args(report, matched)
        if not await self._aone(self._script("report", keys, args)):
            return False
        report.message_id = matched
        return True

    async def areports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        return self._reports_of(await self._aone(self._reports(message_id, phone, limit)), phone, limit)

    async def arecord_inbound(self, message: InboundMessage) -> bool:
        keys, args = self._inbound_args(message)
        return bool(await self._aone(self._script("inbound", keys, args)))

    async def ainbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        return [load_inbound(row) for row in await self._aone(self._inbound(phone, limit)) if row is not None]

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        if self._apipe is not None and self._apipe.loop is loop:
            await self._apipe.aclose()
        self._apipe = None
        if self._async is not None and self._aloop is loop:
            await self._async.aclose()
        if self._own_async:
            self._async = None
        self.close()
