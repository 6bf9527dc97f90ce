"""What providers tell after a send: delivery reports (receipts) and inbound messages (replies, STOP).

Both are plain values, normalised across providers; the provider's own words stay in the
``provider_status``/``error_code`` fields and in ``raw``. Parsing them from what a provider pushes
or answers to a query lives in :mod:`smsgate.receipts`; recording them, in the stores.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["DeliveryReport", "DeliveryStatus", "InboundMessage"]


class DeliveryStatus(str, enum.Enum):
    """What became of a message after the provider accepted it."""

    DELIVERED = "delivered"  # the handset received it
    FAILED = "failed"  # the carrier could not deliver it (bad number, handset off past validity…)
    EXPIRED = "expired"  # validity ran out before delivery
    REJECTED = "rejected"  # refused downstream of the provider (carrier, content, blocklist)
    UNKNOWN = "unknown"  # the provider does not know, or a status smsgate cannot map

    def __str__(self) -> str:
        return self.value


@dataclass(slots=True)
class DeliveryReport:
    """One recipient's delivery outcome, as a provider reported it. Read-only by convention.

    ``provider`` is the alias the gateway knows the provider by (``"aliyun"``, ``"backup"``);
    ``provider_message_id`` is the provider's id for the message (Aliyun's BizId, Twilio's SID),
    which together with ``phone`` (E.164 where it parses) matches the report to the send log, and
    ``message_id`` is smsgate's id once matched. Times are Unix seconds.
    """

    provider: str
    provider_message_id: str | None
    phone: str
    status: DeliveryStatus
    provider_status: str
    error_code: str | None = None
    message_id: str | None = None
    segments: int | None = None
    price: str | None = None
    currency: str | None = None
    submitted_at: float | None = None
    done_at: float | None = None
    received_at: float = 0.0
    raw: Any = None

    @property
    def key(self) -> str:
        """The same report pushed twice has the same key: how stores keep it once."""
        return f"{self.provider}|{self.provider_message_id or ''}|{self.phone}|{self.provider_status}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "provider_message_id": self.provider_message_id,
            "phone": self.phone,
            "status": self.status.value,
            "provider_status": self.provider_status,
            "error_code": self.error_code,
            "message_id": self.message_id,
            "segments": self.segments,
            "price": self.price,
            "currency": self.currency,
            "submitted_at": self.submitted_at,
            "done_at": self.done_at,
            "received_at": self.received_at,
        }


@dataclass(slots=True)
class InboundMessage:
    """An SMS sent *to* one of your numbers or sign names: a reply, or a STOP. Read-only by convention."""

    provider: str
    sender: str  # the phone that wrote, E.164 where it parses
    to: str | None  # your number, sign name or extension code, as the provider gives it
    text: str
    received_at: float = 0.0
    provider_message_id: str | None = None
    raw: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "sender": self.sender,
            "to": self.to,
            "text": self.text,
            "received_at": self.received_at,
            "provider_message_id": self.provider_message_id,
        }
