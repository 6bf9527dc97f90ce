"""Infobip: delivery reports and incoming messages, each a JSON ``{"results": [...]}`` POST.

Infobip does not sign its pushes: a secret path token is required (or basic-auth userinfo and an
IP allow-list in front, which smsgate does not see). A report's status group decides: DELIVERED,
UNDELIVERABLE, EXPIRED, REJECTED; PENDING settles nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, Received, opt_int, opt_text, rows

__all__ = ["InfobipReceipts"]

_GROUPS = {
    "DELIVERED": DeliveryStatus.DELIVERED,
    "UNDELIVERABLE": DeliveryStatus.FAILED,
    "EXPIRED": DeliveryStatus.EXPIRED,
    "REJECTED": DeliveryStatus.REJECTED,
}


class InfobipReceipts(ReceiptParser):
    name = "infobip"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        if not isinstance(data, dict):
            raise ValueError("not an Infobip push")
        push = Push()
        for row in rows(data.get("results") or [], "infobip"):
            if "text" in row or "receivedAt" in row:
                push.inbound.append(self._inbound(row, now))
                continue
            status = _object(row.get("status"))
            group = str(status.get("groupName") or "")
            if group not in _GROUPS:
                push.pending += 1
                continue
            push.reports.append(self._report(row, status, group, now))
        return push

    def _report(self, row: Mapping[str, Any], status: Mapping[str, Any], group: str, now: float) -> DeliveryReport:
        outcome = _GROUPS[group]
        error, price = _object(row.get("error")), _object(row.get("price"))
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("messageId")),
            phone=self.phone("+" + str(row.get("to") or "").removeprefix("+")),
            status=outcome,
            provider_status=str(status.get("name") or group),
            error_code=None if outcome is DeliveryStatus.DELIVERED else opt_text(error.get("name")),
            segments=opt_int(row.get("messageCount")),
            price=opt_text(price.get("pricePerMessage")),
            currency=opt_text(price.get("currency")),
            submitted_at=_time(row.get("sentAt")),
            done_at=_time(row.get("doneAt")),
            received_at=now,
            raw=row,
        )

    def _inbound(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone("+" + str(row.get("from") or "").removeprefix("+")),
            to=opt_text(row.get("to")),
            text=str(row.get("text") or ""),
            received_at=_time(row.get("receivedAt")) or now,
            provider_message_id=opt_text(row.get("messageId")),
            raw=row,
        )


def _time(value: Any) -> float | None:
    """Infobip's ``2019-08-09T17:00:00.000+0000``."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
