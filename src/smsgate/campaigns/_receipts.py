"""Delivery reports moving campaigns' ``delivered`` and ``undelivered`` counts.

When a batch is recorded, each provider message id it got is kept for a week
(``campaigns:receipt:<alias>:<id>`` → the campaign and its rows by phone). A final report
(pushed to the service's webhooks, or pulled by ``poll_reports``) for one of them counts its row
once, whatever is pushed again: the row's receipt claim and its count are one atomic ``admit``.

    receipts = Receipts.for_gateway(gateway, on_delivery=[count_deliveries(store)])
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .._models import SendResult
from .._reports import DeliveryReport, DeliveryStatus
from ..stores.base import Store
from ._state import Keys

__all__ = ["count_deliveries", "receipt_writes"]

KEEP = 7 * 86400.0  # seconds a sent batch waits for its reports
FOREVER = 100 * 365 * 86400.0  # the counters' ttl (a window counter must have one)
_NO_LIMIT = 2**62
_FINAL = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.FAILED: "undelivered",
    DeliveryStatus.EXPIRED: "undelivered",
    DeliveryStatus.REJECTED: "undelivered",
}


def sent_key(alias: str, message_id: str) -> str:
    return f"campaigns:receipt:{alias}:{message_id}"


def receipt_writes(keys: Keys, result: SendResult, rows: dict[str, int]) -> list[tuple[str, tuple[Any, ...]]]:
    """The store writes that let a report on ``result`` find its rows (``rows``: phone → row)."""
    found: dict[tuple[str, str], dict[str, int]] = {}
    for line in result.recipients:
        if line.ok and line.provider and line.message_id:
            found.setdefault((line.provider, line.message_id), {})[line.phone.e164] = rows[line.phone.e164]
    campaign = keys.spec.removeprefix("campaign:")
    return [
        ("set", (sent_key(alias, mid), json.dumps({"campaign": campaign, "rows": by_phone}), KEEP))
        for (alias, mid), by_phone in found.items()
    ]


def count_deliveries(store: Store) -> Callable[[DeliveryReport], None]:
    """An ``on_delivery`` hook for :class:`~smsgate.receipts.Receipts`: each final report on a
    campaign's row moves the campaign's ``delivered`` or ``undelivered`` count, once per row."""

    def count(report: DeliveryReport) -> None:
        kind = _FINAL.get(report.status)
        if kind is None or report.provider_message_id is None:
            return
        text = store.get(sent_key(report.provider, report.provider_message_id))
        if text is None:
            return
        sent = json.loads(text)
        row = sent["rows"].get(report.phone)
        if row is None:
            return
        keys = Keys(sent["campaign"])
        store.admit([], (keys.receipt(row), kind, FOREVER), [(keys.count(kind), _NO_LIMIT, FOREVER)])

    return count
