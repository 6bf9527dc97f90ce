"""``RedisStore.write_behind``: the write leaves ahead of the store's next command, in its round trip;
alone, it leaves after ``LINGER`` seconds from the pipeliner's thread, or on ``close``; reads through
the store see it at once; a failure after return is logged, never raised into another call, and
leaves the records as they were (*pending*)."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from smsgate import AsyncGateway, Gateway, Message
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import LogRecord
from smsgate.stores.base import LINGER
from smsgate.stores.redis import RedisStore
from tests.fixtures.redis import RedisServer, redis_binary
from tests.waits import wait_until

PHONE = "+8613800138000"
FOREVER = 3600.0  # a linger no test outlives: what is sent, a call of the test sent


def records(status: str, at: float = 1.0) -> list[LogRecord]:
    message = LogRecord("m1", "message", "m1", (PHONE,), status, at, at)
    attempt = LogRecord("a1", "attempt", "m1", (PHONE,), status, at, at, "aliyun", 1)
    return [attempt, message]


def status_in_redis(raw: redis.Redis, prefix: str, record_id: str = "m1") -> str | None:
    data = raw.get(f"{prefix}log:r:{record_id}")
    return None if data is None else str(json.loads(data)["status"])


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def lingering(url: str, prefix: str, linger: float = FOREVER) -> RedisStore:
    store = RedisStore(url, prefix=prefix)
    store._pipe.linger = linger
    store.write(records("pending"))
    return store


def test_carried_in_the_next_commands_round_trip(redis_url: str, raw: redis.Redis) -> None:
    store = lingering(redis_url, "b1:")
    raw.config_resetstat()
    before = store._pipe.round_trips
    store.write_behind(records("accepted"), keep=("idem:k", "done", 60.0))
    assert store._pipe.round_trips == before and status_in_redis(raw, "b1:") == "pending"
    started = store.start(["block:x"], None, [("lim:x", 5, 60.0)])
    assert started.refusal is None and started.written
    assert store._pipe.round_trips - before == 1  # the write rode with the start
    assert raw.info("commandstats")["cmdstat_evalsha"]["calls"] == 2
    assert status_in_redis(raw, "b1:") == "accepted" and raw.get("b1:idem:k") == b"done"
    store.close()


def test_sent_after_linger_when_idle(redis_url: str, raw: redis.Redis) -> None:
    store = lingering(redis_url, "b2:", LINGER)
    before, queued = store._pipe.round_trips, time.monotonic()
    store.write_behind(records("accepted"))
    wait_until(
        lambda: store._pipe.round_trips > before and status_in_redis(raw, "b2:") == "accepted",
        what="the write sent by the pipeliner's thread",
    )
    assert time.monotonic() - queued >= LINGER  # it waited for a command to carry it first
    assert store._pipe.round_trips - before == 1
    wait_until(lambda: store._pipe._flusher is None, what="the idle flusher to end")
    store.close()


def test_sent_on_close(redis_url: str, raw: redis.Redis) -> None:
    store = lingering(redis_url, "b3:")
    store.write_behind(records("accepted"), forget="idem:gone")
    store.close()
    assert status_in_redis(raw, "b3:") == "accepted"
    wait_until(lambda: store._pipe._flusher is None, what="the flusher to end on close")


async def test_sent_on_aclose(redis_url: str, raw: redis.Redis) -> None:
    store = lingering(redis_url, "b4:")
    store.write_behind(records("accepted"))
    await store.aclose()
    assert status_in_redis(raw, "b4:") == "accepted"


async def test_reads_through_the_store_see_it_at_once(redis_url: str) -> None:
    store = lingering(redis_url, "b5:")
    store.write_behind(records("accepted"))
    assert {r.status for r in store.log_query(message_id="m1")} == {"accepted"}
    store.write_behind(records("rejected"))
    assert {r.status for r in await store.alog_query(message_id="m1")} == {"rejected"}  # another connection
    store.write_behind(keep=("idem:k", "done", 60.0))
    assert await store.aget("idem:k") == "done" and not store._pipe.unsent
    await store.aclose()


def test_threads_writing_behind_lose_nothing(redis_url: str) -> None:
    """Eight threads, each a sequential sender (pending write, then its outcome behind): every
    outcome lands, carried by another caller's round trip or sent by the pipeliner's thread."""
    store = RedisStore(redis_url, prefix="bt:")
    start = threading.Barrier(8)

    def sender(base: int) -> None:
        start.wait()
        for n in range(base, base + 40):
            record = LogRecord(f"t{n}", "message", f"t{n}", (PHONE,), "pending", float(n), float(n))
            store.write([record])
            record.status = "accepted"
            store.write_behind([record])

    threads = [threading.Thread(target=sender, args=(i * 40,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = store.log_query(limit=1000)
    assert len(found) == 320 and {r.status for r in found} == {"accepted"}
    store.close()


def test_bad_input_raises_before_return_and_queues_nothing(redis_url: str) -> None:
    store = lingering(redis_url, "b6:")
    with pytest.raises(TypeError):
        store.write_behind(keep=("idem:k", object(), 60.0))  # type: ignore[arg-type]
    assert not store._pipe.unsent
    store.close()


def test_a_failing_write_is_logged_and_the_carrier_answered(
    redis_url: str, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    store = lingering(redis_url, "b7:")
    raw.set("b7:log:all", "not a sorted set")  # the write script's ZADD fails on the server
    before = store._pipe.round_trips
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        store.write_behind([LogRecord("m2", "message", "m2", (PHONE,), "accepted", 5.0, 5.0)])
        store.set("k", "v")  # the carrier: its own command succeeds
    assert store._pipe.round_trips - before == 1
    assert store.get("k") == "v"
    failures = [r for r in caplog.records if "behind" in r.getMessage()]
    assert len(failures) == 1 and "WRONGTYPE" in failures[0].getMessage()
    assert PHONE not in caplog.text
    store.close()


def test_a_killed_server_leaves_the_record_pending(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """redis-server (its writes on disk, fsync'd) killed with a write behind: the failure is logged
    by the pipeliner's thread, nobody's call raises, and the record read afterwards is *pending*."""
    durable = ("--appendonly", "yes", "--appendfsync", "always", "--dir", str(tmp_path))
    server = RedisServer(redis_binary(), *durable)
    store = RedisStore(server.url, timeout=2.0)
    try:
        store.write(records("pending"))
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        with caplog.at_level(logging.WARNING, logger="smsgate"):
            store.write_behind(records("accepted"))
            wait_until(lambda: "behind" in caplog.text, what="the failed write logged")
        assert PHONE not in caplog.text
        server = RedisServer(redis_binary(), *durable, port=server.port)
        assert {(r.id, r.status) for r in store.log_query(message_id="m1")} == {("m1", "pending"), ("a1", "pending")}
    finally:
        store.close()
        server.stop()


def test_a_sync_send_pays_one_round_trip(redis_url: str) -> None:
    """Through the gateway, a send with the send log: its pending records before the request leave
    with the previous send's outcome, in one round trip; the last outcome leaves on close."""
    store = RedisStore(redis_url, prefix="b8:")
    store._pipe.linger = FOREVER
    with Gateway([MemoryProvider(alias="memory")], send_log=store) as gateway:
        gateway.send(Message(PHONE, template="T"))
        before = store._pipe.round_trips
        sent = [gateway.send(Message(PHONE, template="T")) for _ in range(5)]
        assert store._pipe.round_trips - before == 5
    store.close()
    reader = RedisStore(redis_url, prefix="b8:")
    found = {r.message_id: r.status for r in reader.log_query() if r.kind == "message"}
    assert [found[result.message_id] for result in sent] == ["accepted"] * 5
    reader.close()


async def test_async_sends_see_a_sync_write_behind(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="b9:")
    store._pipe.linger = FOREVER
    provider = MemoryProvider(alias="memory")
    with Gateway([provider], send_log=store) as gateway:
        first = gateway.send(Message(PHONE, template="T"))
    async with AsyncGateway([provider], send_log=store) as agateway:
        await agateway.send(Message(PHONE, template="T"))
    assert {r.status for r in await store.alog_query(message_id=first.message_id)} == {"accepted"}
    await store.aclose()
