"""Qiniu: delivery reports and replies pushed as ``{"items": [...]}`` (JSON POST).

Qiniu does not sign its pushes: a secret path token is required. A report's ``status`` is
``DELIVRD`` or ``FAILED`` (with ``error``); an item with ``content`` is a reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, Received, opt_text, rows

__all__ = ["QiniuReceipts"]

_STATUSES = {"DELIVRD": DeliveryStatus.DELIVERED, "FAILED": DeliveryStatus.FAILED}


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int) and value > 0 else None


class QiniuReceipts(ReceiptParser):
    name = "qiniu"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        if not isinstance(data, dict) or "items" not in data:
            raise ValueError("not a Qiniu push")
        push = Push()
        for item in rows(data["items"] or [], "qiniu"):
            if "content" in item:
                push.inbound.append(self._inbound(item, now))
            elif str(item.get("status")) in _STATUSES:
                push.reports.append(self._report(item, _STATUSES[str(item["status"])], now))
            else:
                push.pending += 1
        return push

    def _report(self, item: Mapping[str, Any], outcome: DeliveryStatus, now: float) -> DeliveryReport:
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(item.get("job_id")) or opt_text(item.get("message_id")),
            phone=self.phone(item.get("mobile")),
            status=outcome,
            provider_status=str(item.get("status")),
            error_code=None if outcome is DeliveryStatus.DELIVERED else opt_text(item.get("error")),
            done_at=_seconds(item.get("delivrd_at")),
            received_at=now,
            raw=dict(item),
        )

    def _inbound(self, item: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(item.get("mobile")),
            to=opt_text(item.get("dest_code")),
            text=str(item.get("content") or ""),
            received_at=_seconds(item.get("time")) or now,
            raw=dict(item),
        )
