"""Submail: SUBHOOK events (``delivered``, ``dropped``, ``mo``…) POSTed as JSON (or a form).

An event carries ``token`` (32 random characters) and ``signature = md5(token + SUBHOOK key)``, checked
here in constant time when ``subhook_key`` is set (else a secret path token is required). The event's
timestamp is not signed, so replays are recognised by their token within the window.
"""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_text

__all__ = ["SubmailReceiptSettings", "SubmailReceipts"]

_FINAL = {"delivered": DeliveryStatus.DELIVERED, "dropped": DeliveryStatus.FAILED}


class SubmailReceiptSettings(ReceiptSettings):
    subhook_key: SecretStr | None = Field(None, description="the SUBHOOK key from the console")


class SubmailReceipts(ReceiptParser):
    name = "submail"
    settings_model = SubmailReceiptSettings
    needs_token = True
    settings: SubmailReceiptSettings

    def signs(self) -> bool:
        return self.settings.subhook_key is not None

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        key = self.settings.subhook_key
        if key is None:
            return None
        fields = received.fields()
        token = fields.get("token", "")
        expected = hashlib.md5(f"{token}{key.get_secret_value()}".encode()).hexdigest()
        if not token or not equal(fields.get("signature", ""), expected):
            raise self.refuse("the SUBHOOK signature does not match", "signature")
        return token

    def parse(self, received: Received, now: float) -> Push:
        fields = received.fields()
        event, push = fields.get("events", ""), Push()
        if event == "mo":
            push.inbound.append(
                InboundMessage(
                    provider=self.alias,
                    sender=self.phone(fields.get("address")),
                    to=opt_text(fields.get("app")),
                    text=fields.get("content", ""),
                    received_at=now,
                    provider_message_id=opt_text(fields.get("send_id")),
                    raw={k: v for k, v in fields.items() if k != "signature"},
                )
            )
        elif event in _FINAL:
            outcome = _FINAL[event]
            push.reports.append(
                DeliveryReport(
                    provider=self.alias,
                    provider_message_id=opt_text(fields.get("send_id")),
                    phone=self.phone(fields.get("address")),
                    status=outcome,
                    provider_status=event,
                    error_code=None if outcome is DeliveryStatus.DELIVERED else opt_text(fields.get("report")),
                    done_at=float(fields["timestamp"]) if fields.get("timestamp", "").isdigit() else None,
                    received_at=now,
                    raw={k: v for k, v in fields.items() if k != "signature"},
                )
            )
        elif not event:
            raise ValueError("not a SUBHOOK event")
        else:  # request, sending, template events: nothing about delivery
            push.pending += 1
        return push
