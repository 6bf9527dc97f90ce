"""The sync send path's final write is a ``Store.write_behind``: with a store that defers it to its
next operation, a result is returned before its outcome is written, the next operation carries it,
a read sees it, a failure after return is no later send's, and a retry with the same idempotency
key right after the send gets the kept result."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest

from smsgate import Gateway, Message, PhoneLimits, ProviderRate, Status
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import LogRecord, MemoryStore
from smsgate.stores.base import Keep

PHONES = ["+8613800138000", "+8613900139000"]
logger = logging.getLogger("smsgate")


class Deferring(MemoryStore):
    """A store whose ``write_behind`` returns at once and only queues the write, which its next
    operation makes first, as a store carrying it in its next transaction does. ``fail_later``:
    the queued write fails when it is made (logged, never raised into that operation);
    ``fail_now``: ``write_behind`` itself fails before returning."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[tuple[list[LogRecord], Keep | None, str | None]] = []
        self.carried_by: list[str] = []
        self.fail_later = self.fail_now = False

    def write_behind(
        self, records: Sequence[LogRecord] = (), *, keep: Keep | None = None, forget: str | None = None
    ) -> None:
        if self.fail_now:
            raise OSError("disk full")
        self.queued.append(([r.copy() for r in records], keep, forget))

    def carry(self, operation: str) -> None:
        queued, self.queued = self.queued, []
        for records, keep, forget in queued:
            self.carried_by.append(operation)
            try:
                if self.fail_later:
                    raise OSError("disk full")
                MemoryStore.write(self, records, keep=keep, forget=forget, lazy=True)
            except OSError:
                logger.warning("a write behind failed; its records stay pending", exc_info=True)

    def raw(self, message_id: str) -> dict[str, str]:
        """The status of each record of a message as kept now, by kind, carrying nothing."""
        return {r.kind: r.status for r in MemoryStore.log_query(self, message_id=message_id)}

    def start(self, *args: Any, **kwargs: Any) -> Any:
        self.carry("start")
        return super().start(*args, **kwargs)

    def admit(self, *args: Any, **kwargs: Any) -> Any:
        self.carry("admit")
        return super().admit(*args, **kwargs)

    def write(self, *args: Any, **kwargs: Any) -> None:
        self.carry("write")
        super().write(*args, **kwargs)

    def get(self, key: str) -> str | None:
        self.carry("get")
        return super().get(key)

    def log_query(self, **filters: Any) -> list[LogRecord]:
        self.carry("log_query")
        return super().log_query(**filters)


def every_policy(store: MemoryStore) -> dict[str, Any]:
    return {
        "store": store,
        "send_log": store,
        "limits": PhoneLimits(per_minute=100),
        "rates": {"memory": ProviderRate(rate=1e6, burst=10**6)},
        "breakers": True,
        "blocklist": True,
        "allowlist": ["CN"],
    }


@pytest.fixture
def provider() -> MemoryProvider:
    return MemoryProvider(alias="memory")


@pytest.mark.parametrize("policies", ["log", "all"])
def test_a_result_is_returned_before_its_outcome_and_the_next_send_carries_it(
    provider: MemoryProvider, policies: str
) -> None:
    store = Deferring()
    options = every_policy(store) if policies == "all" else {"send_log": store}
    with Gateway([provider], **options) as gateway:
        first = gateway.send(Message(to=PHONES[0], template="T"))
        assert first.ok and len(store.queued) == 1  # returned, the outcome not yet written
        assert store.raw(first.message_id) == {"message": "pending", "attempt": "pending"}
        second = gateway.send(Message(to=PHONES[1], template="T"))
    assert second.ok and store.carried_by == ["start"]  # the next send's one operation carried it
    assert store.raw(first.message_id) == {"message": "accepted", "attempt": "accepted"}
    assert store.raw(second.message_id) == {"message": "pending", "attempt": "pending"}
    assert [m.to for m in provider.outbox] == PHONES


def test_a_read_sees_the_deferred_outcome(provider: MemoryProvider) -> None:
    store = Deferring()
    with Gateway([provider], send_log=store) as gateway:
        result = gateway.send(Message(to=PHONES, template="T"))
    records = store.log_query(message_id=result.message_id)
    assert {(r.kind, r.status) for r in records} == {("message", "accepted"), ("attempt", "accepted")}
    message = next(r for r in records if r.kind == "message")
    assert message.message_ids == {row.phone.e164: row.message_id for row in result.recipients}
    assert store.carried_by == ["log_query"]


def test_a_failure_after_return_is_logged_and_no_later_send_carries_it(
    provider: MemoryProvider, caplog: pytest.LogCaptureFixture
) -> None:
    store = Deferring()
    with Gateway([provider], send_log=store) as gateway:
        first = gateway.send(Message(to=PHONES[0], template="T"))
        store.fail_later = True
        with caplog.at_level(logging.WARNING, logger="smsgate"):
            second = gateway.send(Message(to=PHONES[1], template="T"))
    assert first.ok and first.store_error is None
    assert second.ok and second.store_error is None  # the first send's failure is not the second's
    assert "a write behind failed" in caplog.text and PHONES[0] not in caplog.text
    assert store.raw(first.message_id) == {"message": "pending", "attempt": "pending"}  # reads as unknown
    assert len(provider.outbox) == 2


def test_a_failure_before_return_is_the_sends_own(provider: MemoryProvider, caplog: pytest.LogCaptureFixture) -> None:
    store = Deferring()
    store.fail_now = True
    with Gateway([provider], send_log=store) as gateway, caplog.at_level(logging.WARNING, logger="smsgate"):
        result = gateway.send(Message(to=PHONES[0], template="T"))
    assert result.ok and isinstance(result.store_error, OSError) and len(provider.outbox) == 1
    assert "could not record the outcome" in caplog.text
    assert store.raw(result.message_id) == {"message": "pending", "attempt": "pending"}


def test_a_retry_with_the_same_key_right_after_gets_the_kept_result(provider: MemoryProvider) -> None:
    store = Deferring()
    message = Message(to=PHONES, template="T", idempotency_key="k")
    with Gateway([provider], **every_policy(store)) as gateway:
        sent = gateway.send(message)
        assert len(store.queued) == 1  # the kept result is still in the queue
        again = gateway.send(message)
    assert sent.ok and again.replayed and again.message_id == sent.message_id
    assert [(r.phone.e164, r.status, r.message_id) for r in again.recipients] == [
        (r.phone.e164, Status.ACCEPTED, r.message_id) for r in sent.recipients
    ]
    assert store.carried_by == ["start"] and len(provider.outbox) == 2  # one request, two phones: once


def test_an_unknown_outcome_is_kept_through_the_deferred_write(provider: MemoryProvider) -> None:
    store = Deferring()
    provider.fail_with("unknown")
    message = Message(to=PHONES[0], template="T", idempotency_key="u")
    with Gateway([provider], **every_policy(store)) as gateway:
        sent = gateway.send(message)
        requests = len(provider.outbox)
        again = gateway.send(message)
    assert sent[PHONES[0]].status is Status.UNKNOWN
    assert again.replayed and again[PHONES[0]].status is Status.UNKNOWN and len(provider.outbox) == requests
    assert store.raw(sent.message_id) == {"message": "unknown", "attempt": "unknown"}
