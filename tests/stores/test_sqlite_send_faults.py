"""The SQLite file locked by another process in the middle of a send (sync and async, one and several
requests in flight, both durabilities): every phone the provider received is in the result, the
store failure is on it, nothing more leaves, and the key then answers from the log (*unknown* where
it knows no outcome, *failed* only for phones that never left), never resending."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from smsgate import (
    Idempotency,
    Message,
    PhoneNumber,
    PolicyRefused,
    SendResult,
    Status,
)
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import SQLiteStore
from tests.waits import wait_until

from .send_faults import assert_every_delivery_reported, send


def send_keyed(kind: str, provider: MemoryProvider, store: SQLiteStore, concurrency: int) -> SendResult:
    """The shared keyed send, its claim released soon when a send leaves it pending."""
    return send(kind, provider, store, concurrency, idempotency=Idempotency(claim_ttl=0.5))


class LocksTheFile(MemoryProvider):
    """Takes one phone a request; as its ``lock_on``-th delivery is made, another connection takes
    the file's write lock and keeps it."""

    max_recipients: ClassVar[int] = 1

    def __init__(self, path: Path, lock_on: int) -> None:
        super().__init__(alias="memory")
        self.path, self.lock_on, self.made = path, lock_on, 0
        self.lock = threading.Lock()
        self.other: sqlite3.Connection | None = None

    def deliver(self, message: Message, recipients: Sequence[PhoneNumber]) -> Any:
        rows = super().deliver(message, recipients)
        with self.lock:
            self.made += 1
            if self.made == self.lock_on:
                self.other = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                self.other.execute("BEGIN EXCLUSIVE")
        return rows

    def unlock(self) -> None:
        assert self.other is not None
        self.other.execute("ROLLBACK")
        self.other.close()


@pytest.mark.parametrize("durability", ["machine", "process"])
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("concurrency", [1, 4])
def test_every_delivery_is_in_the_result(tmp_path: Path, durability: Any, kind: str, concurrency: int) -> None:
    path = tmp_path / "state.db"
    provider = LocksTheFile(path, lock_on=3)
    result = send_keyed(kind, provider, SQLiteStore(path, timeout=0.2, durability=durability), concurrency)
    delivered = assert_every_delivery_reported(result, provider, "SQLiteStore")
    provider.unlock()

    store = SQLiteStore(path, durability=durability)  # the file free again, as a retry would find it
    answers: list[SendResult] = []

    def retried() -> bool:
        try:
            answers.append(send_keyed(kind, provider, store, concurrency))
        except PolicyRefused as refused:  # the interrupted send's claim is still leased
            assert refused.rule == "idempotency"
        return bool(answers)

    wait_until(retried, what="the retry to be answered")
    replayed = {r.phone.e164: r.status for r in answers[0].recipients}  # what the log knows, else unknown
    assert set(replayed.values()) <= {Status.ACCEPTED, Status.UNKNOWN, Status.FAILED}
    assert {phone for phone, status in replayed.items() if status is Status.ACCEPTED} <= delivered
    # failed only where nothing left: the outcome, written behind the sync send, may land once the file is free
    assert not {phone for phone, status in replayed.items() if status is Status.FAILED} & delivered
    assert len(provider.outbox) == len(delivered)  # the retry sent nothing
    logged = {p for r in store.log_query(limit=100) if r.kind == "attempt" for p in r.phones}
    assert delivered <= logged
    store.close()
