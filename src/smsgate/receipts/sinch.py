"""Sinch SMS: per-recipient delivery reports and incoming messages (JSON POSTs to the callback URL).

When the account has a webhook signing secret, each push carries ``x-sinch-webhook-signature``
(base64 HMAC-SHA256 over ``body.nonce.timestamp``) with its nonce and timestamp headers; the
timestamp must lie within the replay window. Without a secret, Sinch does not sign: a secret
path token is required. Batch summaries (``delivery_report_sms``) settle nothing per recipient
unless they list the recipients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_int, opt_text, rows

__all__ = ["SinchReceiptSettings", "SinchReceipts", "sinch_signature"]

_FINAL = {
    "Delivered": DeliveryStatus.DELIVERED,
    "Failed": DeliveryStatus.FAILED,
    "Expired": DeliveryStatus.EXPIRED,
    "Rejected": DeliveryStatus.REJECTED,
    "Aborted": DeliveryStatus.REJECTED,
    "Cancelled": DeliveryStatus.REJECTED,
    "Deleted": DeliveryStatus.REJECTED,
    "Unknown": DeliveryStatus.UNKNOWN,
}


class SinchReceiptSettings(ReceiptSettings):
    signing_secret: SecretStr | None = Field(None, description="the account's webhook signing secret, when set")


def sinch_signature(secret: str, body: bytes, nonce: str, timestamp: str) -> str:
    """``x-sinch-webhook-signature`` of ``body`` pushed with ``nonce`` and ``timestamp``."""
    mac = hmac.new(secret.encode(), body + f".{nonce}.{timestamp}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class SinchReceipts(ReceiptParser):
    name = "sinch"
    settings_model = SinchReceiptSettings
    needs_token = True
    settings: SinchReceiptSettings

    def signs(self) -> bool:
        return self.settings.signing_secret is not None

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        secret = self.settings.signing_secret
        if secret is None:
            return None
        h = received.headers
        given = h.get("x-sinch-webhook-signature", "")
        nonce, stamp = h.get("x-sinch-webhook-signature-nonce", ""), h.get("x-sinch-webhook-signature-timestamp", "")
        if not given or not nonce:
            raise self.refuse("x-sinch-webhook-signature or its nonce is missing", "signature")
        if not equal(given, sinch_signature(secret.get_secret_value(), received.body, nonce, stamp)):
            raise self.refuse("x-sinch-webhook-signature does not match", "signature")
        self.check_fresh(float(stamp) if stamp.isdigit() else None, now)
        return nonce

    def parse(self, received: Received, now: float) -> Push:
        push = Push()
        for row in rows(received.json(), "sinch"):
            kind = str(row.get("type", ""))
            if kind.startswith("mo_"):
                push.inbound.append(self._inbound(row, now))
            elif kind == "recipient_delivery_report_sms" and row.get("status") in _FINAL:
                push.reports.append(self._report(row, str(row["batch_id"]), str(row["recipient"]), now))
            elif kind == "delivery_report_sms":
                for status in row.get("statuses") or []:
                    for phone in (status.get("recipients") or []) if status.get("status") in _FINAL else []:
                        push.reports.append(self._report({**row, **status}, str(row["batch_id"]), str(phone), now))
                push.pending += not push.reports
            else:  # Queued, Dispatched: nothing settled yet
                push.pending += 1
        return push

    def _report(self, row: Mapping[str, Any], batch: str, phone: str, now: float) -> DeliveryReport:
        outcome = _FINAL[str(row["status"])]
        code = opt_text(row.get("code"))
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=batch,
            phone=self.phone(phone),
            status=outcome,
            provider_status=str(row["status"]),
            error_code=None if outcome is DeliveryStatus.DELIVERED else code,
            segments=opt_int(row.get("number_of_message_parts")),
            done_at=_iso(row.get("at")),
            received_at=now,
            raw=row,
        )

    def _inbound(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(row.get("from")),
            to=opt_text(row.get("to")),
            text=str(row.get("body") or ""),
            received_at=_iso(row.get("received_at")) or now,
            provider_message_id=opt_text(row.get("id")),
            raw=row,
        )


def _iso(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
