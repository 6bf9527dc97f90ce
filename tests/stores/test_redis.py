"""What only the Redis store does: keys are prefixed, the URL (and its password) stays out of reprs."""

from __future__ import annotations

import redis

from smsgate.stores.redis import RedisStore


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
