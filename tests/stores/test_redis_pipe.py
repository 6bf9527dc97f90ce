"""Auto-pipelining in the Redis store: concurrent callers share round trips, each answered with its own
replies only once Redis acknowledged them; a failure fails the calls it touched and nothing else."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate import StoreError
from smsgate.stores import LogRecord
from smsgate.stores.redis import RedisStore
from tests.fixtures.redis import RedisServer, redis_binary
from tests.waits import wait_until

PHONE = "+8613800138000"
DEADLINE = 15.0  # far above the stores' 2 s timeout: failing within it means no hang


def record(n: int) -> LogRecord:
    return LogRecord(f"r{n}", "attempt", f"m{n}", (PHONE,), "pending", float(n), float(n), "aliyun")


async def test_concurrent_tasks_share_round_trips(redis_url: str) -> None:
    store = RedisStore(redis_url)
    await store.aset("warm", "1")  # loads the scripts' first use out of the count
    pipe = store._apipeliner()
    before = pipe.round_trips
    await asyncio.gather(*(store.alog_put(record(n)) for n in range(200)))
    assert pipe.round_trips - before < 20
    assert len(store.log_query(limit=1000)) == 200  # every write acknowledged before its caller went on
    await store.aclose()


def test_concurrent_threads_share_round_trips(redis_url: str) -> None:
    store = RedisStore(redis_url)
    store.set("warm", "1")
    before = store._pipe.round_trips
    start = threading.Barrier(8)

    def writer(base: int) -> None:
        start.wait()
        for n in range(base, base + 50):
            store.log_put(record(n))

    threads = [threading.Thread(target=writer, args=(i * 50,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.log_query(limit=1000)) == 400
    assert store._pipe.round_trips - before < 400
    store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(["set", "get", "delete", "incr"]), st.integers(0, 9)), max_size=8),
        min_size=1,
        max_size=12,
    )
)
def test_each_caller_sees_its_own_commands_in_order(redis_url: str, scripts: list[list[tuple[str, int]]]) -> None:
    """Callers on keys of their own, batched together, see what running alone would show them."""
    store = RedisStore(redis_url, prefix=f"p{time.monotonic_ns()}:")

    async def caller(index: int, script: list[tuple[str, int]]) -> list[tuple[object, object]]:
        key, model = f"k{index}", None
        seen: list[tuple[object, object]] = []
        for op, value in script:
            if op == "set":
                await store.aset(key, str(value))
                model = str(value)
            elif op == "delete":
                await store.adelete(key)
                model = None
            elif op == "incr" and (model is None or model.isdigit()):
                model = str(int(model or 0) + value)
                seen.append((await store.aincr(key, value), int(model)))
            else:
                seen.append((await store.aget(key), model))
        return seen

    async def main() -> list[list[tuple[object, object]]]:
        found = await asyncio.gather(*(caller(i, script) for i, script in enumerate(scripts)))
        await store.aclose()
        return found

    for seen in asyncio.run(main()):
        for got, expected in seen:
            assert got == expected


async def test_a_failing_command_fails_its_caller_alone(redis_url: str) -> None:
    store = RedisStore(redis_url)
    await store.aset("text", "not a number")
    results = await asyncio.gather(
        *(store.alog_put(record(n)) for n in range(20)), store.aincr("text"), return_exceptions=True
    )
    assert results[:-1] == [None] * 20
    assert isinstance(results[-1], StoreError) and results[-1].operation == "aincr"
    assert len(await store.alog_query()) == 20 and await store.aget("text") == "not a number"
    await store.aclose()


async def test_scripts_lost_mid_traffic_are_loaded_again(redis_url: str) -> None:
    """Commands that found their script missing had no effect: they are sent again, once."""
    store = RedisStore(redis_url)
    raw = redis.Redis.from_url(redis_url)
    await store.aincr("n")
    raw.script_flush()
    counts = await asyncio.gather(*(store.aincr("n") for _ in range(30)))
    assert sorted(counts) == list(range(2, 32))  # each counted exactly once
    raw.close()
    await store.aclose()


async def test_a_cancelled_caller_spares_the_others(redis_url: str) -> None:
    store = RedisStore(redis_url)
    writes = [asyncio.ensure_future(store.alog_put(record(n))) for n in range(10)]
    writes[3].cancel()
    results = await asyncio.gather(*writes, return_exceptions=True)
    assert isinstance(results[3], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i != 3] == [None] * 9
    await store.alog_put(record(99))  # the pipeline carries on
    assert {r.id for r in await store.alog_query()} >= {"r0", "r9", "r99"}
    await store.aclose()


def test_one_store_serves_several_event_loops(redis_url: str) -> None:
    store = RedisStore(redis_url)

    async def put(n: int) -> None:
        await store.alog_put(record(n))
        await store.aclose()

    for n in range(3):
        asyncio.run(put(n))
    assert [r.id for r in store.log_query()] == ["r0", "r1", "r2"]
    store.close()


def test_server_killed_fails_every_waiting_caller_promptly(own_redis: RedisServer) -> None:
    """Sync threads and async tasks in flight when redis-server dies: each gets a StoreError, none hangs."""
    store = RedisStore(own_redis.url, timeout=2.0)
    store.log_put(record(0))
    own_redis.process.kill()
    own_redis.process.wait()
    start = time.monotonic()

    async def tasks() -> list[object]:
        return await asyncio.gather(*(store.alog_put(record(n)) for n in range(1, 20)), return_exceptions=True)

    errors: list[object] = list(asyncio.run(tasks()))

    def thread(n: int) -> None:
        try:
            store.log_put(record(n))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(n,)) for n in range(20, 28)]
    for each in threads:
        each.start()
    for each in threads:
        each.join(DEADLINE)
    assert time.monotonic() - start < DEADLINE and not any(t.is_alive() for t in threads)
    assert len(errors) == 27
    assert all(isinstance(e, StoreError) and e.operation in {"alog_put", "log_put"} for e in errors)
    store.close()


def restarted(server: RedisServer) -> None:
    """Stop ``server`` and start a fresh redis-server on its port (no data kept)."""
    server.stop()
    server.process = subprocess.Popen(
        [redis_binary(), "--port", str(server.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _pong(server.port), timeout=10)


def _pong(port: int) -> bool:
    try:
        return redis.Redis(port=port, socket_timeout=0.5).ping() is True
    except redis.RedisError:
        return False


def test_a_server_restarted_between_calls_is_reconnected(own_redis: RedisServer) -> None:
    """A connection the server closed while idle is noticed before use: no error, no lost command."""
    store = RedisStore(own_redis.url, timeout=2.0)

    async def put(n: int) -> None:
        await store.alog_put(record(n))

    async def both() -> None:
        await put(1)
        await asyncio.to_thread(restarted, own_redis)  # the idle connection goes stale meanwhile
        await put(2)
        await store.aclose()

    store.log_put(record(0))
    asyncio.run(both())
    assert [r.id for r in store.log_query()] == ["r2"]  # the restart lost r0 and r1, nothing else
    restarted(own_redis)
    store.log_put(record(3))
    assert [r.id for r in store.log_query()] == ["r3"]
    store.close()


def test_a_server_that_stops_answering_fails_the_batch_after_the_timeout(own_redis: RedisServer) -> None:
    """redis-server frozen (SIGSTOP) with a batch on the wire: every caller gets a StoreError after
    ``timeout``, not a hang; once it runs again, the store carries on."""
    store = RedisStore(own_redis.url, timeout=0.5)
    store.log_put(record(0))

    async def tasks() -> list[object]:
        return await asyncio.gather(*(store.alog_put(record(n)) for n in range(1, 10)), return_exceptions=True)

    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        start = time.monotonic()
        errors = asyncio.run(tasks())
        with pytest.raises(StoreError):
            store.log_put(record(10))
        assert time.monotonic() - start < DEADLINE
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    assert all(isinstance(e, StoreError) and "alog_put" in str(e) for e in errors)
    store.log_put(record(11))
    assert "r11" in {r.id for r in store.log_query()}
    store.close()
