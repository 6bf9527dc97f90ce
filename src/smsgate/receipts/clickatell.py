"""Clickatell: message status callbacks and incoming messages, JSON POSTs, unsigned.

Clickatell does not sign its callbacks: a secret path token is required. Status codes follow the
classic list: ``004`` received by the recipient, ``005``/``007``/``009``/``012``/``014`` failures,
``006`` cancelled, ``010`` expired; the rest (queued, at the gateway, delayed) settle nothing.
"""

from __future__ import annotations

from typing import Any

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, Received, opt_text

__all__ = ["ClickatellReceipts"]

_FINAL = {
    "004": DeliveryStatus.DELIVERED,
    "005": DeliveryStatus.FAILED,
    "006": DeliveryStatus.REJECTED,
    "007": DeliveryStatus.FAILED,
    "009": DeliveryStatus.FAILED,
    "010": DeliveryStatus.EXPIRED,
    "012": DeliveryStatus.REJECTED,
    "014": DeliveryStatus.REJECTED,
}


class ClickatellReceipts(ReceiptParser):
    name = "clickatell"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        if not isinstance(data, dict):
            raise ValueError("not a Clickatell callback")
        push = Push()
        if "text" in data and "fromNumber" in data:
            push.inbound.append(
                InboundMessage(
                    provider=self.alias,
                    sender=self.phone("+" + str(data["fromNumber"]).removeprefix("+")),
                    to=opt_text(data.get("toNumber")),
                    text=str(data["text"]),
                    received_at=_millis(data.get("timestamp")) or now,
                    provider_message_id=opt_text(data.get("messageId")),
                    raw=data,
                )
            )
            return push
        code = str(data.get("statusCode") or "").zfill(3)
        if code not in _FINAL:
            push.pending += 1
            return push
        outcome = _FINAL[code]
        push.reports.append(
            DeliveryReport(
                provider=self.alias,
                provider_message_id=opt_text(data.get("messageId") or data.get("apiMessageId")),
                phone=self.phone("+" + str(data.get("to") or "").removeprefix("+")),
                status=outcome,
                provider_status=code,
                error_code=None if outcome is DeliveryStatus.DELIVERED else code,
                done_at=_millis(data.get("timestamp")),
                received_at=now,
                raw=data,
            )
        )
        return push


def _millis(value: Any) -> float | None:
    try:
        return int(value) / 1000
    except (TypeError, ValueError):
        return None
