"""Fixtures for the verification tests: a settable clock, every store, a verifier over a memory gateway."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate.stores import MemoryStore, SQLiteStore, Store
from smsgate.testing import memory_gateway, outbox_of
from smsgate.verify import VerificationFailed, Verifier, VerifyPolicy

KEYS = {"k1": "a server key of at least thirty-two bytes"}
HAS_POSTGRES = importlib.util.find_spec("smsgate.stores.postgres") is not None
STORES = ["memory", "sqlite", "redis"] + (["postgres"] if HAS_POSTGRES else [])
"""Every store there is: PostgreSQL joins as soon as ``PostgresStore`` is installed."""
PHONE = "13800138000"


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_store(kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock | None = None) -> Store:
    """A fresh store of ``kind``; memory, SQLite and PostgreSQL expire keys by ``clock``, Redis by its own."""
    if kind == "memory":
        return MemoryStore(clock=clock) if clock else MemoryStore()
    if kind == "sqlite":
        return SQLiteStore(tmp_path / "verify.db", clock=clock) if clock else SQLiteStore(tmp_path / "verify.db")
    if kind == "redis":
        from smsgate.stores.redis import RedisStore

        return RedisStore(request.getfixturevalue("redis_url"))
    if kind == "postgres":
        from smsgate.stores.postgres import PostgresStore  # type: ignore[import-not-found, unused-ignore]

        dsn = request.getfixturevalue("postgres_dsn")
        return PostgresStore(dsn, clock=clock) if clock else PostgresStore(dsn)  # type: ignore[no-any-return, unused-ignore]
    raise ValueError(kind)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[Store]:
    made = open_store(request.param, request, tmp_path, clock)
    yield made
    made.close()


class Harness:
    """A verifier over a memory gateway and ``store``, and a way to read the codes it sent."""

    def __init__(self, store: Store, clock: Clock, policy: VerifyPolicy | None = None) -> None:
        self.gateway = memory_gateway(clock=clock)
        self.verifier = Verifier(self.gateway, store, keys=KEYS, policy=policy or VerifyPolicy(), clock=clock)

    def code(self, index: int = -1) -> str:
        return str(outbox_of(self.gateway)[index].params["code"])

    @property
    def sent(self) -> int:
        return len(outbox_of(self.gateway))


@pytest.fixture
def harness(store: Store, clock: Clock) -> Harness:
    return Harness(store, clock)


def wrong(code: str) -> str:
    """A code of the same length that is not ``code``."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def refused(h: Harness, vid: str, code: str) -> VerificationFailed:
    with pytest.raises(VerificationFailed) as info:
        h.verifier.check(vid, code)
    return info.value
