"""Telnyx: message events (``message.finalized`` delivery reports, ``message.received`` replies)
as JSON POSTs, signed with Ed25519.

Each push carries ``telnyx-signature-ed25519`` (base64) over ``{telnyx-timestamp}|{raw body}``,
checked with the account's public key (Mission Control, base64) and a timestamp inside the
replay window. Verification uses ``cryptography`` (the ``receipts`` extra).
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, opt_int, opt_text

__all__ = ["TelnyxReceiptSettings", "TelnyxReceipts"]

_FINAL = {
    "delivered": DeliveryStatus.DELIVERED,
    "delivery_failed": DeliveryStatus.FAILED,
    "sending_failed": DeliveryStatus.FAILED,
    "delivery_unconfirmed": DeliveryStatus.UNKNOWN,
}


class TelnyxReceiptSettings(ReceiptSettings):
    public_key: str = Field(description="the account's Ed25519 public key, base64 (Mission Control)")

    @field_validator("public_key")
    @classmethod
    def _is_a_key(cls, value: str) -> str:
        try:
            key = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64") from None
        if len(key) != 32:
            raise ValueError("an Ed25519 public key has 32 bytes")
        return value


class TelnyxReceipts(ReceiptParser):
    name = "telnyx"
    settings_model = TelnyxReceiptSettings
    settings: TelnyxReceiptSettings

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        self.check_token(received)
        given, stamp = (
            received.headers.get("telnyx-signature-ed25519", ""),
            received.headers.get("telnyx-timestamp", ""),
        )
        try:
            signature = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            signature = b""
        if len(signature) != 64:
            raise self.refuse("telnyx-signature-ed25519 is missing or malformed", "signature")
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.settings.public_key))
        try:
            key.verify(signature, stamp.encode() + b"|" + received.body)
        except InvalidSignature:
            raise self.refuse("telnyx-signature-ed25519 does not match", "signature") from None
        self.check_fresh(float(stamp) if stamp.isdigit() else None, now)
        return given

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        event = data.get("data") if isinstance(data, dict) else None
        if not isinstance(event, dict) or not isinstance(event.get("payload"), dict):
            raise ValueError("not a Telnyx event")
        kind, payload, push = event.get("event_type"), event["payload"], Push()
        if kind == "message.received":
            push.inbound.append(self._inbound(payload, now))
        elif kind == "message.finalized":
            errors = payload.get("errors") or []
            code = opt_text(errors[0].get("code")) if errors and isinstance(errors[0], dict) else None
            for to in payload.get("to") or []:
                status = str(to.get("status") or "")
                if status not in _FINAL:
                    push.pending += 1
                    continue
                push.reports.append(self._report(payload, to, status, code, now))
        else:  # message.sent and the like settle nothing
            push.pending += 1
        return push

    def _report(
        self, payload: dict[str, Any], to: dict[str, Any], status: str, code: str | None, now: float
    ) -> DeliveryReport:
        outcome = _FINAL[status]
        cost: dict[str, Any] = payload["cost"] if isinstance(payload.get("cost"), dict) else {}
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(payload.get("id")),
            phone=self.phone(to.get("phone_number")),
            status=outcome,
            provider_status=status,
            error_code=None if outcome is DeliveryStatus.DELIVERED else code,
            segments=opt_int(payload.get("parts")),
            price=opt_text(cost.get("amount")),
            currency=opt_text(cost.get("currency")),
            done_at=_iso(payload.get("completed_at")),
            received_at=now,
            raw=payload,
        )

    def _inbound(self, payload: dict[str, Any], now: float) -> InboundMessage:
        sender: dict[str, Any] = payload["from"] if isinstance(payload.get("from"), dict) else {}
        to = payload.get("to") or [{}]
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(sender.get("phone_number")),
            to=opt_text(to[0].get("phone_number")) if isinstance(to[0], dict) else None,
            text=str(payload.get("text") or ""),
            received_at=_iso(payload.get("received_at")) or now,
            provider_message_id=opt_text(payload.get("id")),
            raw=payload,
        )


def _iso(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
