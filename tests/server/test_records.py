"""``Records``: tenant ownership over any store, and messages as the send log tells them."""

from __future__ import annotations

import asyncio

from smsgate.server._records import Records, message_view
from smsgate.stores.base import LogRecord
from smsgate.stores.memory import MemoryStore


def _message(store: MemoryStore, message_id: str, phones: tuple[str, ...], status: str, at: float) -> None:
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


def test_pages_are_per_tenant_newest_first_and_filtered():
    store = MemoryStore()
    records = Records(store, store)

    async def scenario() -> None:
        for n in range(30):
            tenant = "acme" if n % 3 else "globex"
            _message(store, f"{n:032x}", (f"+86138{n:08d}",), "rejected" if n == 7 else "accepted", float(n))
            await records.own(tenant, f"{n:032x}")
        page = await records.page("acme", limit=5)
        assert [int(i["id"], 16) for i in page.items] == [29, 28, 26, 25, 23]
        rest = await records.page("acme", limit=100, cursor=int(page.next_cursor))
        assert len(page.items) + len(rest.items) == 20 and rest.next_cursor is None
        only = await records.page("acme", status="rejected", limit=5)
        assert [int(i["id"], 16) for i in only.items] == [7]
        recent = await records.page("acme", since=25.0)
        assert [int(i["id"], 16) for i in recent.items] == [29, 28, 26, 25]
        assert await records.get("globex", f"{7:032x}") is None
        assert (await records.get("acme", f"{7:032x}"))["status"] == "rejected"

    asyncio.run(scenario())


def test_a_sparse_filter_stops_after_its_budget_with_a_cursor():
    store = MemoryStore()
    records = Records(store, store)

    async def scenario() -> None:
        for n in range(100):
            _message(store, f"{n:032x}", ("+8613800138000",), "rejected" if n == 0 else "accepted", float(n))
            await records.own("acme", f"{n:032x}")
        first = await records.page("acme", status="rejected", limit=2)  # reads at most 20 messages
        assert first.items == [] and first.next_cursor == "80"
        found = []
        cursor = first.next_cursor
        while cursor is not None:
            page = await records.page("acme", status="rejected", limit=2, cursor=int(cursor))
            found += page.items
            cursor = page.next_cursor
        assert [int(i["id"], 16) for i in found] == [0]

    asyncio.run(scenario())
