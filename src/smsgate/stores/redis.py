"""``RedisStore``: shared by many processes; every compound operation is one server-side Lua script.

Needs the ``redis`` extra (``pip install smsgate[redis]``). Keys are prefixed (``smsgate:`` by
default). The send log keeps each record as a string and indexes it in sorted sets by time,
message and phone; ``log_ttl`` bounds its retention.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from .._reports import DeliveryReport, InboundMessage
from .base import (
    LogRecord,
    Refusal,
    Store,
    Window,
    dump_inbound,
    dump_report,
    inbound_key,
    load_inbound,
    load_report,
    provider_refs,
    translating,
)

try:
    import redis
    import redis.asyncio as aredis
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("RedisStore needs the redis package: pip install 'smsgate[redis]'") from exc

__all__ = ["RedisStore"]

# KEYS: the key. ARGV: value, ttl in ms (0: none). Returns nil when stored, else the value there.
_ADD = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else redis.call('SET', KEYS[1], ARGV[1]) end
return false
"""

# KEYS: the counter. ARGV: amount, ttl in ms (0: none). TTL only when created: fixed windows.
_INCR = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""

# KEYS: counters. ARGV: limit1, ttl1_ms, limit2, ttl2_ms... Returns -1 when counted, else the full index.
_HIT = """
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[2 * i - 1]) then return i - 1 end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[2 * i]) end
end
return -1
"""

# KEYS: the bucket. ARGV: interval, burst, max_wait, now. Returns the wait as a string, or false.
_RESERVE = """
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local max_wait, now = tonumber(ARGV[3]), tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - burst * interval - now
if wait < 0 then wait = 0 end
if wait > max_wait then return false end
local ttl = math.ceil((math.max(new_tat - now, interval) + 1) * 1000)
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX', ttl)
return string.format('%.6f', wait)
"""

# KEYS: blocked keys, then the claim key (when ARGV[2] == '1'), then window counters.
# ARGV: n_blocked, has_claim, claim value, claim ttl ms, then limit, ttl ms per window.
# Returns {0} admitted, {1, index} blocked, {2, existing} claimed, {3, index} full.
_ADMIT = """
local n_blocked, has_claim = tonumber(ARGV[1]), ARGV[2] == '1'
for i = 1, n_blocked do
  if redis.call('EXISTS', KEYS[i]) == 1 then return {1, i - 1} end
end
local first = n_blocked + 1
if has_claim then
  local existing = redis.call('GET', KEYS[first])
  if existing then return {2, existing} end
  first = first + 1
end
local n = 0
for i = first, #KEYS do
  n = n + 1
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[3 + 2 * n]) then return {3, n - 1} end
end
if has_claim then redis.call('SET', KEYS[n_blocked + 1], ARGV[3], 'PX', ARGV[4]) end
n = 0
for i = first, #KEYS do
  n = n + 1
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[4 + 2 * n]) end
end
return {0}
"""

# KEYS: record, all-index, message-index, the message's record, n phone indexes, then ref sets.
# ARGV: json, created_at, id, ttl_ms (0: none), kind, message id, n. A message's phones are indexed
# once (phone -> message id), by its first record; attempts are indexed by the provider's message ids.
_LOG_PUT = """
local new = redis.call('EXISTS', KEYS[1]) == 0
local ttl, n = tonumber(ARGV[4]), tonumber(ARGV[7])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl) else redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
if new and (ARGV[5] ~= 'attempt' or redis.call('EXISTS', KEYS[4]) == 0) then
  for i = 5, 4 + n do redis.call('ZADD', KEYS[i], 'NX', ARGV[2], ARGV[6]) end
end
for i = 5 + n, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
"""

# KEYS: the report, seq counter, all-index, phone index, message index, the message's deliveries.
# ARGV: report key, json, message id ('' when unmatched), phone, status, ttl_ms. 0 for a duplicate.
_REPORT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = tonumber(ARGV[6])
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'm', ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[5], seq, ARGV[1])
  redis.call('HSET', KEYS[6], ARGV[4], ARGV[5])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[6], ttl) end
end
return 1
"""

# KEYS: the message, seq counter, all-index, sender index. ARGV: member, json, ttl_ms. 0 for a duplicate.
_INBOUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else redis.call('SET', KEYS[1], ARGV[2]) end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
return 1
"""


@translating(redis.RedisError)
class RedisStore(Store):
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
        self._async = async_client
        self._own_async = async_client is None
        self._loaded = self._aloaded = False  # the log_put script, for pipelines (loaded once)
        self._aloop: asyncio.AbstractEventLoop | None = None
        self._scripts = {name: self._sync.register_script(src) for name, src in _SCRIPTS.items()}
        self._ascripts: dict[str, Any] = {}

    def __repr__(self) -> str:  # the URL may carry a password
        return f"<RedisStore prefix={self.prefix!r}>"

    def _k(self, key: str) -> str:
        return self.prefix + key

    def _client(self) -> aredis.Redis:
        """The async client of the running loop (its connections are bound to the loop that made them)."""
        loop = asyncio.get_running_loop()
        if self._async is not None and self._own_async and self._aloop is not loop:
            self._async, self._ascripts, self._aloaded = None, {}, False
        self._aloop = loop
        if self._async is None:
            self._async = aredis.Redis.from_url(
                self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
        return self._async

    def _ascript(self, name: str) -> Any:
        if name not in self._ascripts:
            self._ascripts[name] = self._client().register_script(_SCRIPTS[name])
        return self._ascripts[name]

    # -- argument shaping shared by both twins ---------------------------------------------

    @staticmethod
    def _ms(ttl: float | None) -> int:
        return 0 if ttl is None else max(1, int(ttl * 1000))

    def _hit_args(self, windows: Sequence[Window]) -> tuple[list[str], list[Any]]:
        keys = [self._k(key) for key, _limit, _ttl in windows]
        args: list[Any] = []
        for _key, limit, ttl in windows:
            args += [limit, self._ms(ttl)]
        return keys, args

    def _log_args(self, record: LogRecord) -> tuple[list[str], list[Any]]:
        keys = [self._k(f"log:r:{record.id}"), self._k("log:all"), self._k(f"log:m:{record.message_id}")]
        keys.append(self._k(f"log:r:{record.message_id}"))
        keys += [self._k(f"log:p:{phone}") for phone in record.phones]
        keys += [self._k(f"log:f:{record.provider}|{ref}") for ref in provider_refs(record)]
        args = [record.to_json(), record.created_at, record.id, self._ms(self.log_ttl)]
        return keys, [*args, record.kind, record.message_id, len(record.phones)]

    def _report_args(self, report: DeliveryReport, matched: str | None) -> tuple[list[str], list[Any]]:
        keys = [self._k(f"rep:r:{report.key}"), self._k("rep:seq"), self._k("rep:all")]
        keys += [self._k(f"rep:p:{report.phone}"), self._k(f"rep:m:{matched}"), self._k(f"log:d:{matched}")]
        data = dump_report(report)
        return keys, [report.key, data, matched or "", report.phone, report.status.value, self._ms(self.log_ttl)]

    def _inbound_args(self, message: InboundMessage) -> tuple[list[str], list[Any]]:
        member = inbound_key(message) or f"~{uuid.uuid4().hex}"  # no id: never a duplicate
        keys = [self._k(f"in:r:{member}"), self._k("in:seq"), self._k("in:all"), self._k(f"in:p:{message.sender}")]
        return keys, [member, dump_inbound(message), self._ms(self.log_ttl)]

    @staticmethod
    def _matching(report: DeliveryReport, rows: Sequence[Any]) -> str | None:
        """The message id of the newest attempt that gave ``report.phone`` the report's provider id."""
        records = [LogRecord.from_json(row) for row in rows if row is not None]
        found = [r for r in records if r.message_ids.get(report.phone) == report.provider_message_id]
        return max(found, key=lambda r: r.created_at).message_id if found else None

    def _report_index(self, message_id: str | None, phone: str | None) -> str:
        if message_id is not None:
            return self._k(f"rep:m:{message_id}")
        return self._k("rep:all" if phone is None else f"rep:p:{phone}")

    def _reports_of(self, rows: Sequence[Any], phone: str | None, limit: int) -> list[DeliveryReport]:
        found = []
        for data, matched in rows:
            if data is not None:
                report = load_report(data, self._decode(matched) or None)
                if phone is None or report.phone == phone:
                    found.append(report)
        return found[:limit]

    def _admit_args(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> tuple[list[str], list[Any]]:
        keys = [self._k(k) for k in blocked]
        args: list[Any] = [
            len(blocked),
            "1" if claim else "0",
            claim[1] if claim else "",
            self._ms(claim[2]) if claim else 0,
        ]
        if claim:
            keys.append(self._k(claim[0]))
        for key, limit, ttl in windows:
            keys.append(self._k(key))
            args += [limit, self._ms(ttl)]
        return keys, args

    def _admitted(self, reply: Sequence[Any]) -> Refusal | None:
        kind = int(reply[0])
        if kind == 0:
            return None
        if kind == 2:
            return Refusal("claimed", self._decode(reply[1]))
        return Refusal("blocked" if kind == 1 else "full", int(reply[1]))

    def _queue(self, pipe: Any, name: str, args: tuple[Any, ...]) -> None:
        """Queue one :meth:`run` call on a pipeline; scripts by their SHA, loaded once (see :meth:`_piped`)."""
        if name == "set":
            key, value, *ttl = args
            pipe.set(self._k(key), value, px=self._ms(ttl[0] if ttl else None) or None)
        elif name == "delete":
            pipe.delete(self._k(args[0]))
        elif name == "log_put":
            keys, argv = self._log_args(args[0])
            pipe.evalsha(self._scripts["log_put"].sha, len(keys), *keys, *argv)
        elif name == "get":
            pipe.get(self._k(args[0]))
        else:
            raise ValueError(f"RedisStore.run: {name!r} cannot be batched")

    def _replies(self, calls: Sequence[tuple[str, tuple[Any, ...]]], replies: Sequence[Any]) -> list[Any]:
        return [self._decode(r) if name == "get" else None for (name, _), r in zip(calls, replies, strict=True)]

    _BATCHABLE = frozenset({"set", "delete", "log_put", "get"})

    def _index(self, message_id: str | None) -> str:
        return self._k("log:all" if message_id is None else f"log:m:{message_id}")

    @staticmethod
    def _decode(value: Any) -> str | None:
        return value.decode() if isinstance(value, bytes) else value

    def _filter(self, rows: Sequence[Any], filters: dict[str, Any]) -> list[LogRecord]:
        message_id, phone, status = filters.get("message_id"), filters.get("phone"), filters.get("status")
        records = [LogRecord.from_json(row) for row in rows if row is not None]
        found = [
            r
            for r in records
            if (message_id is None or r.message_id == message_id)
            and (phone is None or phone in r.phones)
            and (status is None or r.status == status)
        ]
        found.sort(key=lambda r: r.created_at, reverse=bool(filters.get("newest_first")))
        return found[: filters.get("limit", 1000)]

    @staticmethod
    def _range(filters: dict[str, Any]) -> tuple[Any, Any]:
        since, until = filters.get("since"), filters.get("until")
        return ("-inf" if since is None else since), ("+inf" if until is None else until)

    def _with_deliveries(self, records: list[LogRecord], found: Sequence[Any]) -> list[LogRecord]:
        for record, deliveries in zip([r for r in records if r.kind == "message"], found, strict=True):
            record.deliveries = {self._decode(k) or "": self._decode(v) or "" for k, v in deliveries.items()}
        return records

    # -- sync ---------------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        return self._decode(self._sync.get(self._k(key)))

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return [self._decode(v) for v in self._sync.mget([self._k(k) for k in keys])]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._sync.set(self._k(key), value, px=self._ms(ttl) or None)

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self._decode(self._scripts["add"](keys=[self._k(key)], args=[value, self._ms(ttl)]))

    def delete(self, key: str) -> None:
        self._sync.delete(self._k(key))

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(self._scripts["incr"](keys=[self._k(key)], args=[amount, self._ms(ttl)]))

    def hit(self, windows: Sequence[Window]) -> int | None:
        keys, args = self._hit_args(windows)
        index = int(self._scripts["hit"](keys=keys, args=args))
        return None if index < 0 else index

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        wait = self._scripts["reserve"](keys=[self._k(key)], args=[interval, burst, max_wait, now])
        return None if wait is None else float(wait)

    def log_put(self, record: LogRecord) -> None:
        keys, args = self._log_args(record)
        self._scripts["log_put"](keys=keys, args=args)

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        keys, args = self._admit_args(blocked, claim, windows)
        return self._admitted(self._scripts["admit"](keys=keys, args=args))

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        if not all(name in self._BATCHABLE for name, _ in calls):
            return super().run(calls)
        for attempt in (1, 2):
            if not self._loaded:
                self._sync.script_load(_LOG_PUT)
                self._loaded = True
            pipe = self._sync.pipeline(transaction=False)
            for name, args in calls:
                self._queue(pipe, name, args)
            try:
                return self._replies(calls, pipe.execute())
            except redis.exceptions.NoScriptError:  # the server lost its scripts (restarted, flushed)
                self._loaded = False
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def log_query(self, **filters: Any) -> list[LogRecord]:
        message_id, phone = filters.get("message_id"), filters.get("phone")
        low, high = self._range(filters)
        if phone is not None and message_id is None:  # the phone's messages, then their records
            pipe = self._sync.pipeline(transaction=False)
            for mid in self._sync.zrangebyscore(self._k(f"log:p:{phone}"), "-inf", high):
                pipe.zrangebyscore(self._index(self._decode(mid)), low, high)
            ids = [i for found in pipe.execute() for i in found]
        else:
            ids = self._sync.zrangebyscore(self._index(message_id), low, high)
        if not ids:
            return []
        rows = self._sync.mget([self._k(f"log:r:{self._decode(i)}") for i in ids])
        records = self._filter(rows, filters)
        pipe = self._sync.pipeline(transaction=False)
        for record in records:
            if record.kind == "message":
                pipe.hgetall(self._k(f"log:d:{record.id}"))
        return self._with_deliveries(records, pipe.execute())

    def record_report(self, report: DeliveryReport) -> bool:
        matched = None
        if report.provider_message_id is not None:
            ids = self._sync.smembers(self._k(f"log:f:{report.provider}|{report.provider_message_id}"))
            if ids:
                rows = self._sync.mget([self._k(f"log:r:{self._decode(i)}") for i in ids])
                matched = self._matching(report, rows)
        keys, args = self._report_args(report, matched)
        if not self._scripts["report"](keys=keys, args=args):
            return False
        report.message_id = matched
        return True

    def reports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        end = limit - 1 if message_id is None or phone is None else -1
        keys = self._sync.zrevrange(self._report_index(message_id, phone), 0, end)
        pipe = self._sync.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self._k(f"rep:r:{self._decode(key)}"), ["d", "m"])
        return self._reports_of(pipe.execute(), phone, limit)

    def record_inbound(self, message: InboundMessage) -> bool:
        keys, args = self._inbound_args(message)
        return bool(self._scripts["inbound"](keys=keys, args=args))

    def inbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        index = self._k("in:all" if phone is None else f"in:p:{phone}")
        members = self._sync.zrevrange(index, 0, limit - 1)
        rows = self._sync.mget([self._k(f"in:r:{self._decode(m)}") for m in members]) if members else []
        return [load_inbound(row) for row in rows if row is not None]

    def close(self) -> None:
        self._sync.close()

    # -- async --------------------------------------------------------------------------------

    async def aget(self, key: str) -> str | None:
        return self._decode(await self._client().get(self._k(key)))

    async def aget_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        return [self._decode(v) for v in await self._client().mget([self._k(k) for k in keys])]

    async def aset(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._client().set(self._k(key), value, px=self._ms(ttl) or None)

    async def aadd(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self._decode(await self._ascript("add")(keys=[self._k(key)], args=[value, self._ms(ttl)]))

    async def adelete(self, key: str) -> None:
        await self._client().delete(self._k(key))

    async def aincr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return int(await self._ascript("incr")(keys=[self._k(key)], args=[amount, self._ms(ttl)]))

    async def ahit(self, windows: Sequence[Window]) -> int | None:
        keys, args = self._hit_args(windows)
        index = int(await self._ascript("hit")(keys=keys, args=args))
        return None if index < 0 else index

    async def areserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        wait = await self._ascript("reserve")(keys=[self._k(key)], args=[interval, burst, max_wait, now])
        return None if wait is None else float(wait)

    async def alog_put(self, record: LogRecord) -> None:
        keys, args = self._log_args(record)
        await self._ascript("log_put")(keys=keys, args=args)

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        keys, args = self._admit_args(blocked, claim, windows)
        return self._admitted(await self._ascript("admit")(keys=keys, args=args))

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        if not all(name in self._BATCHABLE for name, _ in calls):
            return [await getattr(self, "a" + name)(*args) for name, args in calls]
        client = self._client()
        for attempt in (1, 2):
            if not self._aloaded:
                await client.script_load(_LOG_PUT)
                self._aloaded = True
            pipe = client.pipeline(transaction=False)
            for name, args in calls:
                self._queue(pipe, name, args)
            try:
                return self._replies(calls, await pipe.execute())
            except redis.exceptions.NoScriptError:  # the server lost its scripts (restarted, flushed)
                self._aloaded = False
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def alog_query(self, **filters: Any) -> list[LogRecord]:
        message_id, phone = filters.get("message_id"), filters.get("phone")
        low, high = self._range(filters)
        client = self._client()
        if phone is not None and message_id is None:  # the phone's messages, then their records
            pipe = client.pipeline(transaction=False)
            for mid in await client.zrangebyscore(self._k(f"log:p:{phone}"), "-inf", high):
                pipe.zrangebyscore(self._index(self._decode(mid)), low, high)
            ids = [i for found in await pipe.execute() for i in found]
        else:
            ids = await client.zrangebyscore(self._index(message_id), low, high)
        if not ids:
            return []
        rows = await client.mget([self._k(f"log:r:{self._decode(i)}") for i in ids])
        records = self._filter(rows, filters)
        pipe = client.pipeline(transaction=False)
        for record in records:
            if record.kind == "message":
                pipe.hgetall(self._k(f"log:d:{record.id}"))
        return self._with_deliveries(records, await pipe.execute())

    async def arecord_report(self, report: DeliveryReport) -> bool:
        matched = None
        client = self._client()
        if report.provider_message_id is not None:
            ids = await client.smembers(self._k(f"log:f:{report.provider}|{report.provider_message_id}"))
            if ids:
                rows = await client.mget([self._k(f"log:r:{self._decode(i)}") for i in ids])
                matched = self._matching(report, rows)
        keys, args = self._report_args(report, matched)
        if not await self._ascript("report")(keys=keys, args=args):
            return False
        report.message_id = matched
        return True

    async def areports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        client = self._client()
        end = limit - 1 if message_id is None or phone is None else -1
        keys = await client.zrevrange(self._report_index(message_id, phone), 0, end)
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self._k(f"rep:r:{self._decode(key)}"), ["d", "m"])
        return self._reports_of(await pipe.execute(), phone, limit)

    async def arecord_inbound(self, message: InboundMessage) -> bool:
        keys, args = self._inbound_args(message)
        return bool(await self._ascript("inbound")(keys=keys, args=args))

    async def ainbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        client = self._client()
        members = await client.zrevrange(self._k("in:all" if phone is None else f"in:p:{phone}"), 0, limit - 1)
        rows = await client.mget([self._k(f"in:r:{self._decode(m)}") for m in members]) if members else []
        return [load_inbound(row) for row in rows if row is not None]

    async def aclose(self) -> None:
        if self._async is not None and self._aloop is asyncio.get_running_loop():
            await self._async.aclose()
        if self._own_async:
            self._async = None
        self._sync.close()


_SCRIPTS = {
    "add": _ADD,
    "incr": _INCR,
    "hit": _HIT,
    "reserve": _RESERVE,
    "log_put": _LOG_PUT,
    "admit": _ADMIT,
    "report": _REPORT,
    "inbound": _INBOUND,
}
