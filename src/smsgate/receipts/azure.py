"""Azure Communication Services: delivery reports and incoming messages as Event Grid events.

An Event Grid subscription POSTs an array of events: ``Microsoft.Communication.SMSDeliveryReportReceived``
and ``…SMSReceived``. Before the first, it proves the endpoint with a
``Microsoft.EventGrid.SubscriptionValidationEvent``, answered with its ``validationCode``. Event
Grid does not sign its deliveries: a secret path token is required (or Entra ID in front).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, Received, Reply, opt_text, rows

__all__ = ["AzureReceipts"]

_PREFIX = "Microsoft.Communication."
_FINAL = {"Delivered": DeliveryStatus.DELIVERED, "Failed": DeliveryStatus.FAILED, "Expired": DeliveryStatus.EXPIRED}


class AzureReceipts(ReceiptParser):
    name = "azure"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        push = Push()
        for event in rows(received.json(), "azure"):
            kind = str(event.get("eventType") or event.get("type") or "")
            data: Mapping[str, Any] = event["data"] if isinstance(event.get("data"), dict) else {}
            if kind == "Microsoft.EventGrid.SubscriptionValidationEvent":
                answer = json.dumps({"validationResponse": str(data.get("validationCode", ""))}).encode()
                push.reply = Reply(200, "application/json", answer)
            elif kind == _PREFIX + "SMSReceived":
                push.inbound.append(
                    InboundMessage(
                        provider=self.alias,
                        sender=self.phone(data.get("from")),
                        to=opt_text(data.get("to")),
                        text=str(data.get("message") or ""),
                        received_at=_iso(data.get("receivedTimestamp")) or now,
                        provider_message_id=opt_text(data.get("messageId")),
                        raw=event,
                    )
                )
            elif kind == _PREFIX + "SMSDeliveryReportReceived" and data.get("deliveryStatus") in _FINAL:
                outcome = _FINAL[str(data["deliveryStatus"])]
                details = None if outcome is DeliveryStatus.DELIVERED else opt_text(data.get("deliveryStatusDetails"))
                push.reports.append(
                    DeliveryReport(
                        provider=self.alias,
                        provider_message_id=opt_text(data.get("messageId")),
                        phone=self.phone(data.get("to")),
                        status=outcome,
                        provider_status=str(data["deliveryStatus"]),
                        error_code=details,
                        done_at=_iso(data.get("receivedTimestamp")),
                        received_at=now,
                        raw=event,
                    )
                )
            else:
                push.pending += 1
        return push


def _iso(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
