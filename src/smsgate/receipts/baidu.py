"""Baidu Cloud SMS: status callbacks (状态回调) and replies (上行回调), JSON POSTs signed by digest.

Each push carries ``timestamp`` (milliseconds) and ``signature``: the hex MD5 of the token (the
Baidu Cloud account id by default; left out when empty), the timestamp and the raw body. Both are
checked here, the time against the replay window. A report's ``code`` is ``"0"`` delivered or
``"2"`` failed; a body with ``content`` and no ``code`` is a reply.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_int, opt_text

__all__ = ["BaiduReceiptSettings", "BaiduReceipts", "baidu_push_signature"]

_CODES = {"0": DeliveryStatus.DELIVERED, "2": DeliveryStatus.FAILED}


class BaiduReceiptSettings(ReceiptSettings):
    token: SecretStr = Field(SecretStr(""), description="the callback token (the Baidu Cloud account id by default)")


def baidu_push_signature(token: str, timestamp: str, body: bytes) -> str:
    """The ``signature`` header of a push: hex MD5 of token, timestamp (ms) and body."""
    return hashlib.md5(token.encode() + timestamp.encode() + body).hexdigest()


def _utc(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class BaiduReceipts(ReceiptParser):
    name = "baidu"
    settings_model = BaiduReceiptSettings
    settings: BaiduReceiptSettings

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        stamp = received.headers.get("timestamp", "")
        expected = baidu_push_signature(self.settings.token.get_secret_value(), stamp, received.body)
        signature = received.headers.get("signature", "")
        if not equal(signature, expected):
            raise self.refuse("the push's signature does not match", "signature")
        self.check_fresh(int(stamp) / 1000 if stamp.isdigit() else None, now)
        return signature

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        if not isinstance(data, dict):
            raise ValueError("not a Baidu push")
        push = Push()
        if "code" not in data and "content" in data:
            push.inbound.append(
                InboundMessage(
                    provider=self.alias,
                    sender=self.phone(data.get("mobile")),
                    to=opt_text(data.get("userExtId")) or opt_text(data.get("sign")),
                    text=str(data.get("content") or ""),
                    received_at=_utc(data.get("receiveTime")) or now,
                    raw=data,
                )
            )
            return push
        outcome = _CODES.get(str(data.get("code")))
        if outcome is None:
            push.pending += 1
            return push
        carrier = opt_text(data.get("carrierCode"))
        push.reports.append(
            DeliveryReport(
                provider=self.alias,
                provider_message_id=opt_text(data.get("messageId")),
                phone=self.phone(data.get("mobile")),
                status=outcome,
                provider_status=carrier or str(data.get("code")),
                error_code=None if outcome is DeliveryStatus.DELIVERED else carrier,
                segments=opt_int(data.get("segmentCount")),
                done_at=_utc(data.get("deliverTime")),
                received_at=now,
                raw=data,
            )
        )
        return push
