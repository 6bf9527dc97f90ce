"""Volcengine: delivery reports pushed as a JSON array (回执), one object per message.

Volcengine does not sign its pushes: a secret path token is required. ``status_code`` ``"0"`` is
delivered; anything else (``NE:01xx`` number, ``CR:02xx`` control, ``CE:03xx`` content, ``SY:05xx``
system, ``UN:0900``) failed. Times are milliseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._reports import DeliveryReport, DeliveryStatus
from ._base import Push, ReceiptParser, Received, opt_int, opt_text, rows

__all__ = ["VolcengineReceipts"]


class VolcengineReceipts(ReceiptParser):
    name = "volcengine"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        push = Push()
        for item in rows(received.json(), "volcengine"):
            if "status_code" not in item or not item.get("mobile"):
                raise ValueError("not a Volcengine delivery report")
            push.reports.append(self._report(item, now))
        return push

    def _report(self, item: Mapping[str, Any], now: float) -> DeliveryReport:
        code = str(item.get("status_code"))
        outcome = DeliveryStatus.DELIVERED if code == "0" else DeliveryStatus.FAILED
        done = opt_int(item.get("recv_time"))
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(item.get("message_id")),
            phone=self.phone(item.get("mobile")),
            status=outcome,
            provider_status=opt_text(item.get("description")) or code,
            error_code=None if outcome is DeliveryStatus.DELIVERED else code,
            segments=opt_int(item.get("msg_count")),
            done_at=done / 1000 if done else None,
            received_at=now,
            raw=dict(item),
        )
