"""Fixtures for receipt tests: the SNS signer, and send logs on every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate import MemoryStore, SQLiteStore, Store
from tests.fakes.receipts import sns_signer

__all__ = ["any_send_log", "send_log", "sns_signer"]


@pytest.fixture
def send_log() -> MemoryStore:
    return MemoryStore()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def any_send_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The send log on each embedded or shared store."""
    made: Store
    if request.param == "memory":
        made = MemoryStore()
    elif request.param == "sqlite":
        made = SQLiteStore(str(tmp_path / "log.sqlite3"))
    else:
        from smsgate.stores.redis import RedisStore

        made = RedisStore(request.getfixturevalue("redis_url"))
    yield made
    made.close()
