"""``store``: the same contract tests run against every store, each on a fresh state."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.stores import MemoryStore, SQLiteStore, Store


@pytest.fixture(params=["memory", "sqlite", "sqlite-process", "redis", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(tmp_path / "state.db")
    elif request.param == "sqlite-process":
        made = SQLiteStore(tmp_path / "state.db", durability="process")
    elif request.param == "redis":
        from smsgate.stores.redis import RedisStore

        made = RedisStore(request.getfixturevalue("redis_url"))
    else:
        from smsgate.stores.postgres import PostgresStore

        made = PostgresStore(request.getfixturevalue("postgres_dsn"))
    yield made
    made.close()
