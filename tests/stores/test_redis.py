"""What only the Redis store does: keys are prefixed, the URL (and its password) stays out of reprs,
every compound call is one script call (``start``: the whole beginning of a send)."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate import StoreError
from smsgate.stores import LogRecord, MemoryStore
from smsgate.stores.redis import RedisStore
from tests.fixtures.redis import RedisServer
from tests.waits import wait_until


def test_repr_hides_the_url() -> None:
    store = RedisStore("redis://:s3cret-pass@127.0.0.1:1/0")
    assert "s3cret" not in repr(store) and "s3cret" not in str(store)
    store.close()


def test_keys_are_prefixed(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="app1:")
    store.set("k", "v")
    raw = redis.Redis.from_url(redis_url)
    assert raw.get("app1:k") == b"v" and raw.get("k") is None
    other = RedisStore(redis_url, prefix="app2:")
    assert other.get("k") is None
    for client in (raw, store, other):
        client.close()


async def test_batches_survive_a_script_flush(redis_url: str) -> None:
    """Batched log writes call the script by its SHA, loaded once; a server that lost it gets it again."""
    from smsgate.stores import LogRecord

    store = RedisStore(redis_url)
    raw = redis.Redis.from_url(redis_url)
    for n in range(2):
        store.run([("log_put", (LogRecord(f"s{n}", "message", f"s{n}", ("+8613800138000",), "pending", 1.0, 1.0),))])
        await store.arun([("log_put", (LogRecord(f"a{n}", "message", f"a{n}", ("+8613800138000",), "ok", 2.0, 2.0),))])
        raw.script_flush()
    assert sorted(r.id for r in store.log_query(phone="+8613800138000")) == ["a0", "a1", "s0", "s1"]
    await store.aclose()
    raw.close()


def test_a_write_is_one_script_call(redis_url: str) -> None:
    """Records, the kept key and the forgotten one: one command, one round trip."""
    from smsgate.stores import LogRecord

    store = RedisStore(redis_url, prefix="w1:")
    store.write(keep=("gone", "x", 60.0))  # the script loaded, if the server had lost it
    raw = redis.Redis.from_url(redis_url)
    raw.config_resetstat()
    before = store._pipe.round_trips
    message = LogRecord("wm", "message", "wm", ("+8613800138000",), "pending", 1.0, 1.0)
    attempt = LogRecord("wa", "attempt", "wm", ("+8613800138000",), "pending", 1.0, 1.0, "aliyun")
    store.write([message, attempt], keep=("claim", "sent", 60.0), forget="gone")
    assert store._pipe.round_trips - before == 1
    assert raw.info("commandstats")["cmdstat_evalsha"]["calls"] == 1
    assert raw.get("w1:claim") == b"sent" and raw.get("w1:gone") is None
    assert {r.id for r in store.log_query(phone="+8613800138000")} == {"wm", "wa"}
    for client in (raw, store):
        client.close()


def test_a_record_put_again_at_another_time_moves_in_the_index(redis_url: str) -> None:
    from smsgate.stores import LogRecord

    store = RedisStore(redis_url, prefix="w2:")
    raw = redis.Redis.from_url(redis_url)
    store.log_put(LogRecord("r", "message", "r", ("+8613800138000",), "pending", 1.0, 1.0))
    raw.config_resetstat()
    store.log_put(LogRecord("r", "message", "r", ("+8613800138000",), "accepted", 1.0, 2.0))
    assert "cmdstat_zadd" not in raw.info("commandstats")  # the same time: its index entries stay
    assert [r.status for r in store.log_query(until=1.5)] == ["accepted"]
    store.log_put(LogRecord("r", "message", "r", ("+8613800138000",), "accepted", 5.0, 5.0))
    assert store.log_query(until=1.5) == [] and [r.id for r in store.log_query(since=4.0, message_id="r")] == ["r"]
    for client in (raw, store):
        client.close()


async def test_a_log_query_is_one_round_trip(redis_url: str) -> None:
    """The index, the records and a message's deliveries: one script call, sync or async."""
    from smsgate.stores import LogRecord

    store = RedisStore(redis_url, prefix="w3:")
    phone = "+8613800138000"
    for n in range(3):
        store.write([LogRecord(f"m{n}", "message", f"m{n}", (phone,), "accepted", n, n)])
        store.write([LogRecord(f"a{n}", "attempt", f"m{n}", (phone,), "accepted", n, n, "aliyun", 1)])
    redis.Redis.from_url(redis_url).hset("w3:log:d:m1", phone, "delivered")
    before = store._pipe.round_trips
    found = store.log_query(phone=phone, since=1.0)
    assert store._pipe.round_trips - before == 1
    assert {r.id: r.deliveries for r in found} == {"m1": {phone: "delivered"}, "a1": {}, "m2": {}, "a2": {}}
    assert sorted(r.id for r in await store.alog_query(message_id="m1")) == ["a1", "m1"]
    assert store._apipeliner().round_trips == 1
    await store.aclose()


async def test_reports_and_inbound_are_listed_in_one_round_trip(redis_url: str) -> None:
    from smsgate import DeliveryReport, DeliveryStatus, InboundMessage

    store = RedisStore(redis_url, prefix="w4:")
    for n in range(3):
        report = DeliveryReport("aliyun", f"biz-{n}", "+8613800138000", DeliveryStatus.DELIVERED, "DELIVRD")
        store.record_report(report)
        inbound = InboundMessage("aliyun", "+8613800138000", "106900", f"hi {n}", float(n), f"in-{n}")
        await store.arecord_inbound(inbound)
    before = store._pipe.round_trips
    assert [r.provider_message_id for r in store.reports(limit=2)] == ["biz-2", "biz-1"]
    assert [m.text for m in store.inbound(phone="+8613800138000")] == ["hi 2", "hi 1", "hi 0"]
    assert store._pipe.round_trips - before == 2
    assert len(await store.areports(phone="+8613800138000")) == 3 and len(await store.ainbound(limit=1)) == 1
    await store.aclose()


def _start_args(n: int) -> tuple[Any, ...]:
    """A keyed send to one phone with a limit window and a provider-rate token, its pending records
    and its claim renewed: what the send flow hands :meth:`RedisStore.start`."""
    phone = "+8613800138000"
    message = LogRecord(f"m{n}", "message", f"m{n}", (phone,), "pending", 1.0, 1.0)
    attempt = LogRecord(f"a{n}", "attempt", f"m{n}", (phone,), "pending", 1.0, 1.0, "aliyun")
    claim, windows = (f"idem:{n}", "pending:d", 300.0), [(f"lim:{phone}", 5, 60.0)]
    token = ("rate:aliyun", 0.001, 1000, 1.0, 100.0)
    return [f"block:{phone}"], claim, windows, [token], [message, attempt], (f"idem:{n}", f"sent:m{n}", 300.0)


def _calls(raw: redis.Redis) -> dict[str, int]:
    """The commands the server ran since its statistics were reset, by name (those the scripts call too)."""
    stats = raw.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}


def _keyspace(raw: redis.Redis) -> dict[Any, Any]:
    """Every key and its serialised value (not its remaining time)."""
    return {key: raw.dump(key) for key in raw.keys("*")}


async def test_a_start_is_one_script_call(redis_url: str) -> None:
    """Admission, rate token, pending records and claim: one EVALSHA, one round trip, sync or async."""
    store = RedisStore(redis_url, prefix="s1:")
    raw = redis.Redis.from_url(redis_url)
    store.start(*_start_args(0))  # the script loaded, if the server had lost it
    await store.astart(*_start_args(1))
    raw.config_resetstat()
    before, abefore = store._pipe.round_trips, store._apipeliner().round_trips
    assert store.start(*_start_args(2)) == (None, [0.0], True)
    assert await store.astart(*_start_args(3)) == (None, [0.0], True)
    calls = _calls(raw)
    assert calls.pop("evalsha") == 2 and calls.pop("config|resetstat") == 1
    assert not {"eval", "script|load", "script|exists"} & calls.keys()  # the rest ran inside the scripts
    # each: the blocklist, the claim and the window read, the window counted, the token read and taken,
    # the two records and the renewed claim set (the claim once), the records indexed by time, message, phone
    assert calls == {"exists": 2, "get": 6, "incr": 2, "set": 8, "zadd": 10}
    assert store._pipe.round_trips - before == 1 and store._apipeliner().round_trips - abefore == 1
    assert raw.get("s1:idem:3") == b"sent:m3" and raw.get("s1:lim:+8613800138000") == b"4"
    assert {r.id for r in store.log_query(phone="+8613800138000")} == {f"{kind}{n}" for kind in "ma" for n in range(4)}
    await store.aclose()
    raw.close()


@pytest.mark.parametrize("refused", ["blocked", "claimed", "full"])
def test_a_refused_start_changes_nothing(redis_url: str, refused: str) -> None:
    store = RedisStore(redis_url, prefix="s2:")
    store.start(*_start_args(0))
    preset = {"blocked": ("block:+8613800138000", "1"), "claimed": ("idem:1", "pending:x"), "full": None}[refused]
    if preset is not None:
        store.set(*preset)
    else:
        for n in range(1, 5):  # the window's limit is 5
            assert store.start(*_start_args(n)).written
    raw = redis.Redis.from_url(redis_url)
    before = _keyspace(raw)
    started = store.start(*_start_args(9 if refused == "full" else 1))
    assert started.refusal is not None and started.refusal.kind == refused and started == (started.refusal, [], False)
    assert _keyspace(raw) == before
    for client in (raw, store):
        client.close()


def test_a_refused_token_keeps_the_admission_and_writes_nothing(redis_url: str) -> None:
    store = RedisStore(redis_url, prefix="s3:")
    blocked, claim, windows, _, records, keep = _start_args(0)
    tokens = [("rate:free", 1.0, 1, 0.0, 100.0), ("rate:full", 10.0, 1, 0.0, 100.0)]
    assert store.reserve("rate:full", 10.0, 1, 0.0, 100.0) == 0.0
    assert store.start(blocked, claim, windows, tokens, records, keep) == (None, [0.0, None], False)
    assert store.get_many(["idem:0", "lim:+8613800138000"]) == ["pending:d", "1"]
    assert store.reserve("rate:free", 1.0, 1, 0.0, 100.0) is None  # its token was taken
    assert store.log_query() == []
    store.close()


def _cut_off(server: RedisServer, store: RedisStore, kind: str, kill: bool) -> BaseException:
    """``store.start`` (``astart``) sent to a frozen redis-server, then the server killed (``kill``) or
    left frozen until the start timed out: what the start raised."""
    warm, frozen, raised = threading.Event(), threading.Event(), []
    pipes: list[Any] = []

    async def astarting() -> None:
        try:
            await store.aset("warm", "1")  # connected, script cache checked
            pipes.append(store._apipeliner())
            warm.set()
            await asyncio.to_thread(frozen.wait)
            await store.astart(*_start_args(1))
        finally:
            await store.aclose()

    def starting() -> None:
        try:
            if kind == "async":
                asyncio.run(astarting())
            else:
                store.set("warm", "1")
                pipes.append(store._pipe)
                warm.set()
                frozen.wait()
                store.start(*_start_args(1))
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=starting)
    thread.start()
    assert warm.wait(15.0)
    sent = pipes[0].round_trips
    server.process.send_signal(signal.SIGSTOP)
    try:
        frozen.set()
        if kill:
            wait_until(lambda: pipes[0].round_trips > sent, what="the start on the wire")
            server.process.kill()
            server.process.wait()
        else:
            wait_until(lambda: raised, timeout=15.0, what="the start to time out")
    finally:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGCONT)
    thread.join(15.0)
    assert not thread.is_alive() and len(raised) == 1
    return raised[0]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_start_on_a_killed_server_raises_and_reports_nothing(own_redis: RedisServer, kind: str) -> None:
    """redis-server killed while a start waits for it: the StoreError surfaces (no Start, so nothing
    reads as written), promptly: well within the store's timeout."""
    store = RedisStore(own_redis.url, timeout=30.0)
    begun = time.monotonic()
    error = _cut_off(own_redis, store, kind, kill=True)
    assert isinstance(error, StoreError) and error.operation in {"start", "astart"}
    assert time.monotonic() - begun < 15.0
    store.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_start_timed_out_is_all_or_nothing(own_redis: RedisServer, kind: str) -> None:
    """A start whose reply never came raises; once redis-server runs again, the store holds all of
    that start (admission, token, records, claim renewed) or none of it, never a part."""
    store = RedisStore(own_redis.url, timeout=0.3)
    error = _cut_off(own_redis, store, kind, kill=False)
    assert isinstance(error, StoreError)
    raw = redis.Redis.from_url(own_redis.url)
    effects = [
        raw.get("smsgate:idem:1") == b"sent:m1",
        raw.get("smsgate:lim:+8613800138000") == b"1",
        raw.get("smsgate:rate:aliyun") is not None,
        {r.id for r in store.log_query()} == {"m1", "a1"},
    ]
    assert all(effects) or not any(effects), effects
    raw.close()
    store.close()


_admissions = st.tuples(
    st.lists(st.sampled_from(["b0", "b1", "b2"]), max_size=3),
    st.none() | st.tuples(st.sampled_from(["c0", "c1"]), st.sampled_from(["pending:x", "pending:y"]), st.just(60.0)),
    st.lists(st.tuples(st.sampled_from(["w0", "w1"]), st.integers(1, 3), st.just(60.0)), max_size=3),
    st.lists(
        st.tuples(
            st.sampled_from(["r0", "r1"]),
            st.sampled_from([0.5, 1.0, 2.0]),
            st.integers(1, 2),
            st.just(1.0),
            st.just(100.0),
        ),
        max_size=2,
    ),
    st.booleans(),  # records
    st.none() | st.tuples(st.sampled_from(["c0", "c1", "k"]), st.just("sent"), st.just(60.0)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_admissions, min_size=1, max_size=6), st.lists(st.sampled_from(["b0", "b1", "b2"]), max_size=1))
def test_start_agrees_with_the_memory_store(redis_url: str, starts: list[Any], blocked: list[str]) -> None:
    """Random admissions (blocked keys, claims, windows given once or twice, tokens, records, a kept
    key that may be the claim): the same answers and the same state as MemoryStore's."""
    redis_store, memory = RedisStore(redis_url, prefix=f"h{time.monotonic_ns()}:"), MemoryStore()
    for store in (redis_store, memory):
        for key in blocked:
            store.set(key, "1")
    for n, (block, claim, windows, tokens, with_records, keep) in enumerate(starts):
        records = (
            [LogRecord(f"r{n}", "message", f"m{n}", ("+8613800138000",), "pending", 1.0, 1.0)] if with_records else []
        )
        answers = [store.start(block, claim, windows, tokens, records, keep) for store in (redis_store, memory)]
        assert answers[0] == answers[1]
        keys = ["c0", "c1", "k", "w0", "w1"]
        assert redis_store.get_many(keys) == memory.get_many(keys)
        assert [r.id for r in redis_store.log_query()] == [r.id for r in memory.log_query()]
    redis_store.close()


def test_a_start_past_lua_unpack_limits(redis_url: str) -> None:
    """A message to thousands of phones: 9,000 keys read and 4,500 records indexed (Lua's unpack takes
    at most about 8,000 values: the script calls in chunks)."""
    store = RedisStore(redis_url, prefix="s5:")
    phones = [f"+86138{n:08d}" for n in range(4500)]
    blocked = [f"block:{phone}" for phone in phones] * 2
    windows = [(f"lim:{phone}", 5, 60.0) for phone in phones[:10]]
    records = [
        LogRecord(f"r{n}", "attempt", "big", (phone,), "pending", 1.0, 1.0, "aliyun") for n, phone in enumerate(phones)
    ]
    assert store.start(blocked, ("idem:big", "pending:d", 60.0), windows, [], records) == (None, [], True)
    assert len(store.log_query(message_id="big", limit=9000)) == 4500 and len(store.log_query(limit=9000)) == 4500
    assert store.get_many(["idem:big", "lim:+8613800000009"]) == ["pending:d", "1"]
    store.set(blocked[-1], "1")
    assert store.start(blocked, None, windows, [], records) == (("blocked", 4499), [], False)
    store.close()
