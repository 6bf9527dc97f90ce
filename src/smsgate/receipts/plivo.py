"""Plivo: delivery reports to the message's ``url`` and incoming messages to an application's
``message_url`` (form or query fields), signed with ``X-Plivo-Signature-V3``.

V3: base64 HMAC-SHA256, keyed with the auth token, over the URL (scheme, host, path) with its
query sorted, then for a POST ``.`` and each body field's name and value sorted by name (for a
GET, the query and the fields together as ``?k=v&…`` sorted), then ``.`` and the nonce header.
The header may list several signatures (one per active token); one match is enough. Plivo sends
no timestamp: a replay is recognised by its nonce within the window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_int, opt_text

__all__ = ["PlivoReceiptSettings", "PlivoReceipts", "plivo_signature"]

_FINAL = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "rejected": DeliveryStatus.REJECTED,
}
_EXPIRED_CODES = {"420"}  # message expired before delivery


class PlivoReceiptSettings(ReceiptSettings):
    auth_token: SecretStr = Field(description="the account's auth token: the webhook signing key")
    url: str | None = Field(None, description="the public URL Plivo calls, when a proxy rewrites it")


def plivo_signature(auth_token: str, method: str, url: str, params: Mapping[str, str], nonce: str) -> str:
    """``X-Plivo-Signature-V3`` of a request to ``url`` carrying ``params`` (body fields for a POST)."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    if method.upper() == "GET":
        every = {**params, **query}
        base += "?" + "&".join(f"{k}={every[k]}" for k in sorted(every))
    else:
        if query:
            base += "?" + "&".join(f"{k}={query[k]}" for k in sorted(query))
        if params:
            base += "." + "".join(f"{k}{params[k]}" for k in sorted(params))
    digest = hmac.new(auth_token.encode(), f"{base}.{nonce}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class PlivoReceipts(ReceiptParser):
    name = "plivo"
    settings_model = PlivoReceiptSettings
    settings: PlivoReceiptSettings

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        given = [s.strip() for s in received.headers.get("x-plivo-signature-v3", "").split(",") if s.strip()]
        nonce = received.headers.get("x-plivo-signature-v3-nonce", "")
        if not given or not nonce:
            raise self.refuse("X-Plivo-Signature-V3 or its nonce is missing", "signature")
        params = dict(received.form()) if received.method == "POST" else {}
        url = self.settings.url or received.url
        expected = plivo_signature(self.settings.auth_token.get_secret_value(), received.method, url, params, nonce)
        if not any(equal(signature, expected) for signature in given):
            raise self.refuse("X-Plivo-Signature-V3 does not match", "signature")
        return nonce

    def parse(self, received: Received, now: float) -> Push:
        fields = received.fields()
        push = Push()
        status = fields.get("Status", "").lower()
        if "Text" in fields and not status:
            push.inbound.append(
                InboundMessage(
                    provider=self.alias,
                    sender=self.phone("+" + fields.get("From", "").removeprefix("+")),
                    to=opt_text(fields.get("To")),
                    text=fields["Text"],
                    received_at=now,
                    provider_message_id=opt_text(fields.get("MessageUUID")),
                    raw=fields,
                )
            )
        elif status in _FINAL:
            error = opt_text(fields.get("ErrorCode"))
            outcome = DeliveryStatus.EXPIRED if error in _EXPIRED_CODES else _FINAL[status]
            push.reports.append(
                DeliveryReport(
                    provider=self.alias,
                    provider_message_id=opt_text(fields.get("ParentMessageUUID") or fields.get("MessageUUID")),
                    phone=self.phone("+" + fields.get("To", "").removeprefix("+")),
                    status=outcome,
                    provider_status=status,
                    error_code=None if outcome is DeliveryStatus.DELIVERED or error == "000" else error,
                    segments=opt_int(fields.get("Units")),
                    price=opt_text(fields.get("TotalAmount")),
                    received_at=now,
                    raw=fields,
                )
            )
        else:  # queued, sent: nothing settled yet
            push.pending += 1
        return push
