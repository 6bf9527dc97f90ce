"""Vonage SMS API: delivery receipts and inbound messages (GET query, POST form or JSON).

Signed webhooks carry ``sig``, ``timestamp`` and ``nonce``: ``sig`` is the hex HMAC (md5, sha1,
sha256 or sha512; or the legacy ``md5hash``, md5 of the string and the secret) of
``&k=v`` for every other parameter sorted, ``&`` and ``=`` inside values replaced by ``_``.
Without a signature secret, a secret path token is required. Any 2xx stops Vonage retrying.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import timezone
from typing import Any, Literal

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, Reply, equal, local_time, opt_int, opt_text

__all__ = ["VonageReceiptSettings", "VonageReceipts", "vonage_signature"]

ACK = Reply(204, "text/plain", b"")
_FINAL = {
    "delivered": DeliveryStatus.DELIVERED,
    "expired": DeliveryStatus.EXPIRED,
    "failed": DeliveryStatus.FAILED,
    "rejected": DeliveryStatus.REJECTED,
}
Method = Literal["md5hash", "md5", "sha1", "sha256", "sha512"]


class VonageReceiptSettings(ReceiptSettings):
    signature_secret: SecretStr | None = Field(None, description="the account's signature secret (signed webhooks)")
    signature_method: Method = Field("md5hash", description="the account's signature method")


def vonage_signature(secret: str, params: Mapping[str, str], method: Method = "sha256") -> str:
    """The ``sig`` of ``params`` (``sig`` itself excluded), lower-case hex."""
    text = "".join(
        f"&{k}={str(v).replace('&', '_').replace('=', '_')}" for k, v in sorted(params.items()) if k != "sig"
    )
    if method == "md5hash":
        return hashlib.md5((text + secret).encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), method).hexdigest()


class VonageReceipts(ReceiptParser):
    name = "vonage"
    settings_model = VonageReceiptSettings
    needs_token = True
    settings: VonageReceiptSettings

    def signs(self) -> bool:
        return self.settings.signature_secret is not None

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        secret = self.settings.signature_secret
        if secret is None:
            return None
        fields = received.fields()
        given = fields.get("sig", "")
        if not given:
            raise self.refuse("the webhook is not signed (no sig)", "signature")
        expected = vonage_signature(secret.get_secret_value(), fields, self.settings.signature_method)
        if not equal(given.lower(), expected):
            raise self.refuse("sig does not match", "signature")
        self.check_fresh(opt_int(fields.get("timestamp")), now)
        return fields.get("nonce") or given.lower()

    def parse(self, received: Received, now: float) -> Push:
        fields = received.fields()
        push = Push(reply=ACK)
        if "text" in fields:
            push.inbound.append(self._inbound(fields, now))
        elif fields.get("status") in _FINAL:
            push.reports.append(self._report(fields, now))
        else:
            push.pending += 1
        return push

    def _report(self, fields: dict[str, str], now: float) -> DeliveryReport:
        status = _FINAL[fields["status"]]
        error = fields.get("err-code")
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(fields.get("messageId")),
            phone=self.phone("+" + fields.get("msisdn", "").lstrip("+")),
            status=status,
            provider_status=fields["status"],
            error_code=None if status is DeliveryStatus.DELIVERED or error in (None, "0") else error,
            price=opt_text(fields.get("price")),
            currency="EUR" if fields.get("price") else None,
            done_at=_utc(fields.get("scts"), "%y%m%d%H%M"),
            submitted_at=_utc(fields.get("message-timestamp"), "%Y-%m-%d %H:%M:%S"),
            received_at=now,
            raw={k: v for k, v in fields.items() if k != "sig"},
        )

    def _inbound(self, fields: dict[str, str], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone("+" + fields.get("msisdn", "").lstrip("+")),
            to=opt_text(fields.get("to")),
            text=fields.get("text", ""),
            received_at=_utc(fields.get("message-timestamp"), "%Y-%m-%d %H:%M:%S") or now,
            provider_message_id=opt_text(fields.get("messageId")),
            raw={k: v for k, v in fields.items() if k != "sig"},
        )


def _utc(value: Any, fmt: str) -> float | None:
    return local_time(value, fmt, timezone.utc)
