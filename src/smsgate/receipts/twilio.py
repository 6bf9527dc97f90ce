"""Twilio: status callbacks and incoming messages (form POSTs), and the message fetch to pull.

Every webhook carries ``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the auth token, over
the full URL Twilio requested followed by each POST parameter's name and value, sorted. A
JSON-bodied webhook carries ``bodySHA256`` in its URL instead of parameters. Twilio sends no
timestamp, so a replay is recognised by its idempotency token (or signature) within the window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, SecretStr

from .._errors import OutcomeUnknown
from .._http import HttpRequest, HttpResponse
from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ..providers.base import Provider
from ..providers.twilio import TwilioSettings
from ._base import Pending, Push, ReceiptParser, ReceiptSettings, Received, Reply, equal, opt_int, opt_text

__all__ = ["TwilioReceiptSettings", "TwilioReceipts", "twilio_signature"]

ACK = Reply(200, "text/xml", b'<?xml version="1.0" encoding="UTF-8"?><Response/>')
_FINAL = {
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.REJECTED,
}
_DEFAULT_PORTS = {"https": 443, "http": 80}


class TwilioReceiptSettings(ReceiptSettings):
    auth_token: SecretStr = Field(description="the account's auth token: the webhook signing key")
    url: str | None = Field(None, description="the public URL Twilio calls, when a proxy rewrites it")


def twilio_signature(auth_token: str, url: str, params: Sequence[tuple[str, str]] = ()) -> str:
    """``X-Twilio-Signature`` of a request to ``url`` with POST ``params`` (none for GET and JSON)."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class TwilioReceipts(ReceiptParser):
    name = "twilio"
    settings_model = TwilioReceiptSettings
    can_pull = True
    settings: TwilioReceiptSettings

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        given = received.headers.get("x-twilio-signature", "")
        if not given:
            raise self.refuse("X-Twilio-Signature is missing", "signature")
        url = self.settings.url or received.url
        token = self.settings.auth_token.get_secret_value()
        body_hash = dict(received.query).get("bodySHA256")
        if body_hash is not None:
            if not equal(body_hash.lower(), hashlib.sha256(received.body).hexdigest()):
                raise self.refuse("the body does not match bodySHA256", "body")
            params: list[tuple[str, str]] = []
        else:
            params = received.form() if received.method == "POST" else []
        if not any(equal(given, twilio_signature(token, u, params)) for u in _url_variants(url)):
            raise self.refuse("X-Twilio-Signature does not match", "signature")
        return received.headers.get("i-twilio-idempotency-token") or given

    def parse(self, received: Received, now: float) -> Push:
        fields = received.fields()
        push = Push(reply=ACK)
        status = fields.get("MessageStatus") or fields.get("SmsStatus") or ""
        if status == "received" or ("Body" in fields and "MessageStatus" not in fields):
            push.inbound.append(
                InboundMessage(
                    provider=self.alias,
                    sender=self.phone(fields.get("From")),
                    to=opt_text(fields.get("To")),
                    text=fields.get("Body", ""),
                    received_at=now,
                    provider_message_id=opt_text(fields.get("MessageSid") or fields.get("SmsSid")),
                    raw=fields,
                )
            )
        elif status in _FINAL:
            push.reports.append(self._report(fields, status, fields.get("ErrorCode"), now))
        else:
            push.pending += 1
        return push

    def _report(self, row: dict[str, Any], status: str, error: Any, now: float) -> DeliveryReport:
        outcome = _FINAL[status]
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("MessageSid") or row.get("sid")),
            phone=self.phone(row.get("To") or row.get("to")),
            status=outcome,
            provider_status=status,
            error_code=None if outcome is DeliveryStatus.DELIVERED else opt_text(error),
            segments=opt_int(row.get("NumSegments") or row.get("num_segments")),
            price=opt_text(row.get("price")),
            currency=opt_text(row.get("price_unit")),
            done_at=_rfc2822(row.get("date_updated")),
            received_at=now,
            raw=row,
        )

    # -- pull: GET the message resource ------------------------------------------------------

    def pull_requests(self, provider: Provider, pending: Sequence[Pending]) -> list[HttpRequest]:
        s = cast(TwilioSettings, provider.settings)
        base = provider.endpoint.base
        user = s.api_key_sid or s.account_sid
        basic = base64.b64encode(f"{user}:{s.auth_token.get_secret_value()}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        messages = f"{base}/2010-04-01/Accounts/{quote(s.account_sid, safe='')}/Messages"
        return [
            provider.request("GET", f"{messages}/{quote(p.provider_message_id, safe='')}.json", (), headers=headers)
            for p in pending
        ]

    def parse_pull(self, provider: Provider, request: HttpRequest, response: HttpResponse, now: float) -> Push:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or not data.get("sid"):
            raise OutcomeUnknown(f"message fetch answered HTTP {response.status}", provider=self.alias)
        status = str(data.get("status") or "")
        push = Push()
        if status in _FINAL:
            push.reports.append(self._report(data, status, data.get("error_code"), now))
        else:
            push.pending += 1
        return push


def _url_variants(url: str) -> list[str]:
    """The URL as given, and with its default port added or removed (Twilio's own validator does this)."""
    parts = urlsplit(url)
    port = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    if port is None:
        return [url]
    with_port = urlunsplit(parts._replace(netloc=f"{host}:{port}"))
    without = urlunsplit(parts._replace(netloc=host))
    return [url, with_port if parts.port is None else without]


def _rfc2822(value: Any) -> float | None:
    try:
        return parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError):
        return None
