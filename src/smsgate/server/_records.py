"""Which tenant owns which message, and the message as the send log tells it.

The send log keeps every message and request; the service adds each message's owner
(``owner:<id>`` in the store). A message of another tenant is simply not found. Ownership is
written in batches: the sends that finish while one batch is being written form the next (one
``run`` for the whole batch), and each :meth:`Records.own` returns once its batch is durable.

A listing is the send log's own query (``log_query(..., newest_first=True)`` with the phone,
status and since filters in the store), kept to the tenant's messages by their owners. Messages
are ordered by ``(created_at, id)``, newest first; a cursor is the last one shown
(``<microseconds>-<id>``) or a bound not yet read (``<microseconds>``), so a page never repeats
or skips a message, even when several share an instant.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import InvalidRequest
from ..stores.base import LogRecord, Store

__all__ = ["CURSOR", "Page", "Records", "message_view"]

CURSOR = r"^[0-9]{1,20}(-[0-9a-f]{32})?$"
_SCAN = 10  # a filtered page reads at most this many times ``limit`` log records, then returns a cursor
_WIDEST = 10_000  # a read this large is taken whole even when one instant fills it
_ALL = "~"  # sorts after every id: ``(us, _ALL)`` bounds the whole instant ``us``

Key = tuple[int, str]


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _micros(at: float) -> int:
    return round(at * 1_000_000)


def _bound(cursor: str | None) -> Key | None:
    if cursor is None:
        return None
    if not re.fullmatch(CURSOR, cursor):
        raise InvalidRequest("cursor must be a next_cursor from a previous page", field="cursor")
    at, _, message_id = cursor.partition("-")
    return int(at), message_id or _ALL


def _cursor(bound: Key) -> str:
    return str(bound[0]) if bound[1] == _ALL else f"{bound[0]}-{bound[1]}"


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
                await self.store.arun([("set", (f"owner:{m}", tenant, None)) for tenant, m, _ in batch])
            except Exception as exc:
                for *_, done in batch:
                    done.set_exception(exc)
            else:
                for *_, done in batch:
                    done.set_result(None)

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
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page:
        """The tenant's messages, newest first, with every filter given (``status``: the message's);
        ``cursor`` continues a page. Raises :class:`InvalidRequest` naming a malformed cursor."""
        before = _bound(cursor)
        items: list[dict[str, Any]] = []
        budget, size = limit * _SCAN, min(max(2 * limit, 50), _WIDEST)
        while True:
            until = None if before is None else (before[0] + 1) / 1_000_000
            rows = await self.send_log.alog_query(
                phone=phone, status=status, since=since, until=until, limit=size, newest_first=True
            )
            full = len(rows) == size
            oldest = min((_micros(r.created_at) for r in rows), default=0)
            if full and size < _WIDEST and all(_micros(r.created_at) == oldest for r in rows):
                size = min(size * 4, _WIDEST)  # one instant fills the read: read it whole
                continue
            whole = not full or all(_micros(r.created_at) == oldest for r in rows)  # else the oldest instant may go on
            shown = sorted(
                (
                    ((_micros(r.created_at), r.message_id), r)
                    for r in rows
                    if r.kind == "message" and (whole or _micros(r.created_at) > oldest)
                ),
                key=lambda pair: pair[0],
                reverse=True,
            )
            shown = [(k, r) for k, r in shown if before is None or k < before]
            owners = await self.store.aget_many([f"owner:{r.message_id}" for _, r in shown])
            mine = [k for (k, _), owner in zip(shown, owners, strict=True) if owner == tenant][: limit - len(items)]
            views = await asyncio.gather(*(self._view(message_id) for _, message_id in mine))
            items += [view for view in views if view is not None]
            if mine and len(items) >= limit:
                return Page(items, _cursor(mine[-1]))
            if not full:
                return Page(items, None)
            before, budget = (oldest - 1 if whole else oldest, _ALL), budget - len(rows)
            if budget <= 0:
                return Page(items, _cursor(before))

    async def _view(self, message_id: str) -> dict[str, Any] | None:
        return message_view(await self.send_log.alog_query(message_id=message_id))


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
