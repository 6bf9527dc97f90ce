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
