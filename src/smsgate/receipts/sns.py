"""AWS SNS: an HTTP(S) topic subscription carrying SMS delivery-status log events (forwarded from
CloudWatch Logs) and two-way SMS replies (AWS End User Messaging).

Every SNS message is signed: RSA (SHA1 for ``SignatureVersion`` 1, SHA256 for 2) over the
message's fields, with the X.509 certificate at ``SigningCertURL``, which must be an
``https://sns.<region>.amazonaws.com/`` address. ``Timestamp`` bounds replays; ``MessageId`` names
them. A ``SubscriptionConfirmation`` is verified too and returns the URL to confirm it.
Needs ``cryptography`` (the ``aws`` extra).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import Field

from .._errors import InvalidRequest
from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, Reply, opt_int, opt_text

__all__ = ["SnsReceiptSettings", "SnsReceipts", "string_to_sign"]

ACK = Reply(200, "text/plain", b"")
CERT_URL = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^?#]*\.pem$"
_NOTIFICATION = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


class SnsReceiptSettings(ReceiptSettings):
    topic_arns: tuple[str, ...] = Field((), description="the only topics accepted (all when empty)")
    certificate_url: str = Field(CERT_URL, description="a pattern SigningCertURL must match")
    fetch_certificate: Callable[[str], bytes] | None = Field(
        None, description="GETs a certificate URL (PEM bytes); urllib3 when unset"
    )


def string_to_sign(envelope: Mapping[str, Any]) -> str:
    """What SNS signs: ``name\\nvalue\\n`` for each signed field present, in order."""
    names = (
        _CONFIRMATION
        if envelope.get("Type") in ("SubscriptionConfirmation", "UnsubscribeConfirmation")
        else _NOTIFICATION
    )
    return "".join(f"{name}\n{envelope[name]}\n" for name in names if envelope.get(name) is not None)


class SnsReceipts(ReceiptParser):
    name = "sns"
    settings_model = SnsReceiptSettings
    blocking = True
    settings: SnsReceiptSettings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._certificates: dict[str, Any] = {}

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        self.check_token(received)
        envelope = self._envelope(received)
        url = str(envelope.get("SigningCertURL") or "")
        if not re.match(self.settings.certificate_url, url):
            raise self.refuse("SigningCertURL is not an SNS certificate address", "certificate")
        arns = self.settings.topic_arns
        if arns and envelope.get("TopicArn") not in arns:
            raise self.refuse("the topic is not one of topic_arns", "topic")
        version = str(envelope.get("SignatureVersion") or "")
        digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)
        if digest is None:
            raise self.refuse("unknown SignatureVersion", "signature")
        try:
            signature = base64.b64decode(str(envelope.get("Signature") or ""), validate=True)
        except binascii.Error:
            raise self.refuse("the signature is not base64", "signature") from None
        key = self._certificate(url)
        if not isinstance(key, rsa.RSAPublicKey):
            raise self.refuse("the certificate has no RSA key", "certificate")
        try:
            key.verify(signature, string_to_sign(envelope).encode(), padding.PKCS1v15(), digest)
        except InvalidSignature:
            raise self.refuse("the signature does not match", "signature") from None
        self.check_fresh(_iso(envelope.get("Timestamp")), now)
        return str(envelope.get("MessageId") or "")

    def _certificate(self, url: str) -> Any:
        from cryptography import x509

        if url not in self._certificates:
            fetch = self.settings.fetch_certificate or _fetch
            try:
                pem = fetch(url)
            except Exception:  # unreachable, refused, not found: nothing here can be trusted
                raise self.refuse("the certificate at SigningCertURL could not be fetched", "certificate") from None
            try:
                self._certificates[url] = x509.load_pem_x509_certificate(pem).public_key()
            except ValueError:
                raise self.refuse("SigningCertURL is not a PEM certificate", "certificate") from None
        return self._certificates[url]

    def _envelope(self, received: Received) -> dict[str, Any]:
        data = received.json()
        if not isinstance(data, dict) or not isinstance(data.get("Type"), str):
            raise InvalidRequest("sns: the body is not an SNS message", field="body")
        return data

    def parse(self, received: Received, now: float) -> Push:
        envelope = self._envelope(received)
        push = Push(reply=ACK)
        if envelope["Type"] == "SubscriptionConfirmation":
            push.subscribe_url = opt_text(envelope.get("SubscribeURL"))
            return push
        if envelope["Type"] != "Notification":
            return push
        try:
            message = json.loads(str(envelope.get("Message")))
        except ValueError:
            raise InvalidRequest("sns: the notification's Message is not JSON", field="Message") from None
        if isinstance(message, dict) and "messageBody" in message:
            push.inbound.append(self._inbound(message, envelope, now))
        elif isinstance(message, dict) and isinstance(message.get("delivery"), dict):
            push.reports.append(self._report(message, now))
        else:
            raise InvalidRequest("sns: neither a delivery status event nor an inbound SMS", field="Message")
        return push

    def _report(self, event: Mapping[str, Any], now: float) -> DeliveryReport:
        delivery: Mapping[str, Any] = event["delivery"]
        notification: Mapping[str, Any] = event.get("notification") or {}
        if not isinstance(notification, dict):
            notification = {}
        outcome = str(event.get("status") or "")
        delivered = outcome == "SUCCESS"
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(notification.get("messageId")),
            phone=self.phone(delivery.get("destination")),
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            provider_status=outcome,
            error_code=None if delivered else opt_text(delivery.get("providerResponse")),
            segments=opt_int(delivery.get("numberOfMessageParts")),
            price=opt_text(delivery.get("priceInUSD")),
            currency="USD" if delivery.get("priceInUSD") is not None else None,
            submitted_at=_log_time(notification.get("timestamp")),
            received_at=now,
            raw=dict(event),
        )

    def _inbound(self, message: Mapping[str, Any], envelope: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(message.get("originationNumber")),
            to=opt_text(message.get("destinationNumber")),
            text=str(message.get("messageBody") or ""),
            received_at=_iso(envelope.get("Timestamp")) or now,
            provider_message_id=opt_text(message.get("inboundMessageId")),
            raw=dict(message),
        )


def _fetch(url: str) -> bytes:
    import urllib3

    with urllib3.PoolManager(retries=False, timeout=10.0) as pool:
        response = pool.request("GET", url)
    if response.status != 200:
        raise ValueError(f"HTTP {response.status}")
    return bytes(response.data)


def _iso(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _log_time(value: Any) -> float | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None
