"""``Records``: tenant ownership over any store, and messages as the send log tells them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import InvalidRequest
from smsgate.server._records import Records, message_view
from smsgate.stores.base import LogRecord, Store
from smsgate.stores.memory import MemoryStore


def _message(store: Store, message_id: str, phones: tuple[str, ...], status: str, at: float) -> None:
    store.log_put(LogRecord(message_id, "message", message_id, phones, status, at, at))


def test_a_failed_over_recipient_shows_its_last_attempt():
    records = [
        LogRecord("m", "message", "m", ("+8613800138000",), "accepted", 1.0, 3.0, message_ids={"+8613800138000": "B1"}),
        LogRecord(
            "a1",
            "attempt",
            "m",
            ("+8613800138000",),
            "failed",
            1.0,
            2.0,
            "aliyun",
            1,
            error={"code": 46003, "category": "unreachable"},
        ),
        LogRecord(
            "a2",
            "attempt",
            "m",
            ("+8613800138000",),
            "accepted",
            2.0,
            3.0,
            "tencent",
            1,
            message_ids={"+8613800138000": "B1"},
        ),
    ]
    view = message_view(records)
    assert view is not None
    assert view["recipients"] == [
        {
            "phone": "+8613800138000",
            "status": "accepted",
            "provider": "tencent",
            "message_id": "B1",
            "error": None,
            "delivery": None,
        }
    ]
    assert [a["provider"] for a in view["attempts"]] == ["aliyun", "tencent"]
    assert message_view(records[1:]) is None  # no message record: nothing to show


async def _sent(store: Store, records: Records, sent: list[tuple[str, str, str, float]]) -> None:
    """Log and own each ``(tenant, id, status, at)`` as a one-recipient message with an attempt."""
    for n, (tenant, message_id, status, at) in enumerate(sent):
        phone = f"+86138{n:08d}"
        await store.alog_put(LogRecord(message_id, "message", message_id, (phone,), status, at, at))
        await store.alog_put(LogRecord(f"a{message_id[1:]}", "attempt", message_id, (phone,), status, at, at, "aliyun"))
        await records.own(tenant, message_id)


async def _pages(records: Records, tenant: str, limit: int, **filters: Any) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = await records.page(tenant, limit=limit, cursor=cursor, **filters)
        pages.append([int(i["id"], 16) for i in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def _shown(pages: list[list[int]]) -> list[int]:
    return [n for page in pages for n in page]


def test_pages_are_per_tenant_newest_first_and_filtered(store: Store):
    records = Records(store, store)
    acme = [n for n in range(29, -1, -1) if n % 3]

    async def scenario() -> None:
        sent = [
            ("acme" if n % 3 else "globex", f"{n:032x}", "rejected" if n == 7 else "accepted", 1e9 + n)
            for n in range(30)
        ]
        await _sent(store, records, sent)
        pages = await _pages(records, "acme", 5)
        assert _shown(pages) == acme and all(len(p) == 5 for p in pages[:4])
        assert await _pages(records, "acme", 100) == [acme]
        assert await _pages(records, "acme", 5, status="rejected") == [[7]]
        assert await _pages(records, "acme", 50, since=1e9 + 25) == [[29, 28, 26, 25]]
        assert await _pages(records, "acme", 50, phone="+8613800000007") == [[7]]
        assert _shown(await _pages(records, "globex", 50, phone="+8613800000007")) == []
        assert await records.get("globex", f"{7:032x}") is None
        assert (await records.get("acme", f"{7:032x}"))["status"] == "rejected"
        await store.aclose()

    asyncio.run(scenario())


def test_messages_of_one_instant_are_paged_without_repeats_or_gaps(store: Store):
    records = Records(store, store)
    instants = [1e9 + 3, 1e9 + 2, 1e9 + 2, 1e9 + 2, 1e9 + 2, 1e9 + 2, 1e9 + 1]  # five share an instant

    async def scenario() -> None:
        await _sent(store, records, [("acme", f"{n:032x}", "accepted", at) for n, at in enumerate(instants)])
        for limit in (1, 2, 3, 7):
            pages = await _pages(records, "acme", limit)
            assert _shown(pages) == [0, 5, 4, 3, 2, 1, 6]  # newest first; within an instant by id, highest first
            assert all(len(page) <= limit for page in pages)
        await store.aclose()

    asyncio.run(scenario())


def test_a_sparse_filter_stops_after_its_budget_with_a_cursor(store: Store):
    records = Records(store, store)

    async def scenario() -> None:
        sent = [("acme" if n == 0 else "globex", f"{n:032x}", "accepted", 1e9 + n) for n in range(200)]
        await _sent(store, records, sent)
        first = await records.page("acme", limit=2)  # reads at most 50 log records
        assert first.items == [] and first.next_cursor is not None
        pages = await _pages(records, "acme", 2)
        assert _shown(pages) == [0] and len(pages) > 5
        await store.aclose()

    asyncio.run(scenario())


def test_a_malformed_cursor_is_a_typed_error_naming_it():
    store = MemoryStore()
    with pytest.raises(InvalidRequest) as caught:
        asyncio.run(Records(store, store).page("acme", cursor="12.5"))
    assert caught.value.field == "cursor"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["acme", "globex"]), st.integers(0, 4)), max_size=30), st.integers(1, 6))
def test_any_log_pages_to_the_tenants_messages_once_each_newest_first(sent: list[tuple[str, int]], limit: int):
    store = MemoryStore()
    records = Records(store, store)
    log = [(tenant, f"{n:032x}", "accepted", 1e9 + at) for n, (tenant, at) in enumerate(sent)]

    async def scenario() -> list[list[int]]:
        await _sent(store, records, log)
        return await _pages(records, "acme", limit)

    expected = sorted((n for n, (tenant, _) in enumerate(sent) if tenant == "acme"), key=lambda n: (sent[n][1], n))
    assert _shown(asyncio.run(scenario())) == expected[::-1]
