"""Bandwidth: message events (delivered, failed, received) POSTed to the application's callback
URL as a JSON array.

Bandwidth does not sign its callbacks; it sends the HTTP Basic credentials set on the
application. Set ``callback_username``/``callback_password`` to check them (constant time), or a
secret path token.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_int, opt_text, rows

__all__ = ["BandwidthReceiptSettings", "BandwidthReceipts"]

_FINAL = {"message-delivered": DeliveryStatus.DELIVERED, "message-failed": DeliveryStatus.FAILED}


class BandwidthReceiptSettings(ReceiptSettings):
    callback_username: str | None = Field(None, description="the callback user set on the application")
    callback_password: SecretStr | None = Field(None, description="the callback password set on the application")


class BandwidthReceipts(ReceiptParser):
    name = "bandwidth"
    settings_model = BandwidthReceiptSettings
    needs_token = True
    settings: BandwidthReceiptSettings

    def signs(self) -> bool:
        return self.settings.callback_password is not None

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        password = self.settings.callback_password
        if password is None:
            return None
        scheme, _, token = received.headers.get("authorization", "").partition(" ")
        try:
            user, _, given = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            user = given = ""
        expected_user = self.settings.callback_username or ""
        if scheme != "Basic" or not (equal(user, expected_user) & equal(given, password.get_secret_value())):
            raise self.refuse("the callback credentials do not match", "credentials")
        return None

    def parse(self, received: Received, now: float) -> Push:
        push = Push()
        for event in rows(received.json(), "bandwidth"):
            kind = str(event.get("type") or "")
            message: Mapping[str, Any] = event["message"] if isinstance(event.get("message"), dict) else {}
            if kind == "message-received":
                push.inbound.append(
                    InboundMessage(
                        provider=self.alias,
                        sender=self.phone(message.get("from")),
                        to=opt_text(event.get("to")),
                        text=str(message.get("text") or ""),
                        received_at=_iso(event.get("time")) or now,
                        provider_message_id=opt_text(message.get("id")),
                        raw=event,
                    )
                )
            elif kind in _FINAL:
                outcome = _FINAL[kind]
                push.reports.append(
                    DeliveryReport(
                        provider=self.alias,
                        provider_message_id=opt_text(message.get("id")),
                        phone=self.phone(event.get("to")),
                        status=outcome,
                        provider_status=kind,
                        error_code=None if outcome is DeliveryStatus.DELIVERED else opt_text(event.get("errorCode")),
                        segments=opt_int(message.get("segmentCount")),
                        done_at=_iso(event.get("eventTime") or event.get("time")),
                        received_at=now,
                        raw=event,
                    )
                )
            else:  # message-sending, message-sent, message-read: nothing settled
                push.pending += 1
        return push


def _iso(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
