"""Which tenant owns which message, and the message as the send log tells it.

The send log keeps every message and request; the service adds, per tenant, a numbered list of
its message ids (``tenant:<t>:count``, ``tenant:<t>:<n>``) and each message's owner
(``owner:<id>``), using only the store's ``incr``/``run``/``get_many``. A message of another
tenant is simply not found. Ownership is written in batches: the sends that finish while one batch
is being written form the next (one ``incr`` per tenant and one ``run`` for the whole batch), and
each :meth:`Records.own` returns once its batch is durable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..stores.base import LogRecord, Store

__all__ = ["Page", "Records", "message_view"]

_SCAN = 10  # a filtered page reads at most this many times ``limit`` messages, then returns a cursor


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


class Records:
    """Tenant ownership in ``store``; message records from ``send_log``."""

    def __init__(self, store: Store, send_log: Store) -> None:
        self.store = store
        self.send_log = send_log
        self._queued: list[tuple[str, str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def own(self, tenant: str, message_id: str) -> None:
        """Record that ``message_id`` belongs to ``tenant`` (after its send, whatever its outcome)."""
        done = asyncio.get_running_loop().create_future()
        self._queued.append((tenant, message_id, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        await asyncio.shield(done)

    async def _write(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                await self._owned([(tenant, message_id) for tenant, message_id, _ in batch])
            except Exception as exc:
                for *_, done in batch:
                    done.set_exception(exc)
            else:
                for *_, done in batch:
                    done.set_result(None)

    async def _owned(self, pairs: list[tuple[str, str]]) -> None:
        by_tenant: dict[str, list[str]] = {}
        for tenant, message_id in pairs:
            by_tenant.setdefault(tenant, []).append(message_id)
        calls: list[tuple[str, tuple[Any, ...]]] = []
        for tenant, ids in by_tenant.items():
            top = await self.store.aincr(f"tenant:{tenant}:count", len(ids))
            for number, message_id in enumerate(ids, start=top - len(ids) + 1):
                calls.append(("set", (f"tenant:{tenant}:{number}", message_id, None)))
                calls.append(("set", (f"owner:{message_id}", tenant, None)))
        await self.store.arun(calls)

    async def get(self, tenant: str, message_id: str) -> dict[str, Any] | None:
        """The message as the send log tells it, or ``None`` when absent or another tenant's."""
        if await self.store.aget(f"owner:{message_id}") != tenant:
            return None
        return message_view(await self.send_log.alog_query(message_id=message_id))

    async def page(
        self,
        tenant: str,
        *,
        phone: str | None = None,
        status: str | None = None,
        since: float | None = None,
        cursor: int | None = None,
        limit: int = 50,
    ) -> Page:
        """The tenant's messages, newest first, matching every filter given; ``cursor`` continues a page."""
        top = int(await self.store.aget(f"tenant:{tenant}:count") or 0)
        start = top if cursor is None else min(cursor, top)
        items: list[dict[str, Any]] = []
        number, budget = start, limit * _SCAN
        while number > 0 and len(items) < limit and budget > 0:
            numbers = list(range(number, max(number - limit, 0), -1))
            number, budget = numbers[-1] - 1, budget - len(numbers)
            ids = await self.store.aget_many([f"tenant:{tenant}:{n}" for n in numbers])
            found = [(n, i) for n, i in zip(numbers, ids, strict=True) if i]
            views = await asyncio.gather(*(self._view(i) for _, i in found))
            for (n, _), view in zip(found, views, strict=True):
                if view is None:
                    continue
                if since is not None and view["created_at"] < since:
                    return Page(items, None)  # older from here on
                if _matches(view, phone, status):
                    items.append(view)
                    if len(items) == limit:
                        number = n - 1
                        break
        return Page(items, str(number) if number > 0 else None)

    async def _view(self, message_id: str) -> dict[str, Any] | None:
        return message_view(await self.send_log.alog_query(message_id=message_id))


def _matches(view: dict[str, Any], phone: str | None, status: str | None) -> bool:
    if phone is not None and phone not in view["phones"]:
        return False
    return status is None or view["status"] == status or any(r["status"] == status for r in view["recipients"])


def message_view(records: Sequence[LogRecord]) -> dict[str, Any] | None:
    """A message's record and its requests' records as one JSON-friendly view."""
    message = next((r for r in records if r.kind == "message"), None)
    if message is None:
        return None
    attempts = sorted((r for r in records if r.kind == "attempt"), key=lambda r: (r.created_at, r.number))
    deliveries: dict[str, str] = getattr(message, "deliveries", None) or {}
    recipients = []
    for phone in message.phones:
        last = next((a for a in reversed(attempts) if phone in a.phones), None)
        recipients.append(
            {
                "phone": phone,
                "status": last.status if last else message.status,
                "provider": last.provider if last else None,
                "message_id": message.message_ids.get(phone) or (last.message_ids.get(phone) if last else None),
                "error": last.error if last else None,
                "delivery": deliveries.get(phone),
            }
        )
    return {
        "id": message.message_id,
        "status": message.status,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "phones": list(message.phones),
        "recipients": recipients,
        "attempts": [
            {
                "provider": a.provider,
                "phones": list(a.phones),
                "status": a.status,
                "number": a.number,
                "error": a.error,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
            }
            for a in attempts
        ],
    }
