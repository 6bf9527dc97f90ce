"""``store``: each of the four stores, for the campaign tests that must hold on every one."""

from __future__ import annotations

import pytest

from smsgate.stores import MemoryStore, SQLiteStore


@pytest.fixture(params=["memory", "sqlite", "redis", "postgres"])
def store(request, tmp_path):
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "state.db")
    elif request.param == "redis":
        from smsgate.stores.redis import RedisStore

        made = RedisStore(request.getfixturevalue("redis_url"))
    else:
        from smsgate.stores.postgres import PostgresStore

        made = PostgresStore(request.getfixturevalue("postgres_dsn"))
    yield made
    made.close()
