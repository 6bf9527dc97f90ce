"""MessageBird (classic): delivery reports to the message's ``reportUrl`` and incoming messages
(query or form fields), signed with ``MessageBird-Signature-JWT``.

The header is a JWT (HS256/384/512) signed with the account's signing key, whose claims bind it
to the request: ``iss`` is ``MessageBird``, ``nbf``/``exp`` bound its life (1 s leeway),
``url_hash`` is the hex SHA-256 of the full URL called and ``payload_hash`` that of the body
(present exactly when there is one). ``jti``, when given, keys replay detection. JWTs are
read with PyJWT (the ``receipts`` extra).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_text

__all__ = ["MessageBirdReceiptSettings", "MessageBirdReceipts"]

LEEWAY = 1.0
_FINAL = {
    "delivered": DeliveryStatus.DELIVERED,
    "delivery_failed": DeliveryStatus.FAILED,
    "expired": DeliveryStatus.EXPIRED,
}


class MessageBirdReceiptSettings(ReceiptSettings):
    signing_key: SecretStr = Field(description="the account's signing key (webhook signatures)")
    url: str | None = Field(None, description="the public URL MessageBird calls, when a proxy rewrites it")


class MessageBirdReceipts(ReceiptParser):
    name = "messagebird"
    settings_model = MessageBirdReceiptSettings
    settings: MessageBirdReceiptSettings

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        import jwt

        self.check_token(received)
        token = received.headers.get("messagebird-signature-jwt", "")
        if not token:
            raise self.refuse("MessageBird-Signature-JWT is missing", "signature")
        key = self.settings.signing_key.get_secret_value()
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["HS256", "HS384", "HS512"],
                issuer="MessageBird",
                options={"require": ["iss", "nbf", "exp"], "verify_exp": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            raise self.refuse("MessageBird-Signature-JWT does not verify", "signature") from None
        if not _number(claims["nbf"]) - LEEWAY <= now <= _number(claims["exp"]) + LEEWAY:
            raise self.refuse("MessageBird-Signature-JWT is not valid at this time", "stale")
        url = self.settings.url or received.url
        if not equal(str(claims.get("url_hash", "")), hashlib.sha256(url.encode()).hexdigest()):
            raise self.refuse("the JWT was issued for another URL", "signature")
        payload_hash = claims.get("payload_hash")
        if received.body:
            if payload_hash is None or not equal(str(payload_hash), hashlib.sha256(received.body).hexdigest()):
                raise self.refuse("the body does not match the JWT's payload_hash", "body")
        elif payload_hash is not None:
            raise self.refuse("the JWT names a body, and none came", "body")
        return str(claims.get("jti") or token)

    def parse(self, received: Received, now: float) -> Push:
        fields = received.fields()
        push = Push()
        status = fields.get("status", "")
        if "originator" in fields and "body" in fields and not status:
            push.inbound.append(
                InboundMessage(
                    provider=self.alias,
                    sender=self.phone("+" + fields["originator"].removeprefix("+")),
                    to=opt_text(fields.get("recipient")),
                    text=fields["body"],
                    received_at=now,
                    provider_message_id=opt_text(fields.get("id")),
                    raw=fields,
                )
            )
        elif status in _FINAL:
            if not fields.get("recipient"):
                raise ValueError("a report without a recipient")
            outcome = _FINAL[status]
            push.reports.append(
                DeliveryReport(
                    provider=self.alias,
                    provider_message_id=opt_text(fields.get("id")),
                    phone=self.phone("+" + fields.get("recipient", "").removeprefix("+")),
                    status=outcome,
                    provider_status=status,
                    error_code=None
                    if outcome is DeliveryStatus.DELIVERED
                    else opt_text(fields.get("statusErrorCode") or fields.get("statusReason")),
                    price=opt_text(fields.get("price[amount]")),
                    currency=opt_text(fields.get("price[currency]")),
                    received_at=now,
                    raw=fields,
                )
            )
        else:  # scheduled, sent, buffered: nothing settled yet
            push.pending += 1
        return push


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")  # compares false: refused as not valid at this time
