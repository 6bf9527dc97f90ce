"""Chuanglan 253: delivery reports, form POSTed (or GET) to the callback URL.

253 does not sign its callbacks; they carry the API account (``receiver``) and password
(``pswd``), checked here in constant time when given (else a secret path token is required).
``DELIVRD`` is delivered; any other carrier status is a failure.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus
from ._base import BEIJING, Push, ReceiptParser, ReceiptSettings, Received, equal, local_time, opt_text

__all__ = ["ChuanglanReceiptSettings", "ChuanglanReceipts"]


class ChuanglanReceiptSettings(ReceiptSettings):
    account: str | None = Field(None, description="the API account the callbacks carry as 'receiver'")
    password: SecretStr | None = Field(None, description="the API password the callbacks carry as 'pswd'")


class ChuanglanReceipts(ReceiptParser):
    name = "chuanglan"
    settings_model = ChuanglanReceiptSettings
    needs_token = True
    settings: ChuanglanReceiptSettings

    def signs(self) -> bool:
        return self.settings.password is not None

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        password = self.settings.password
        if password is None:
            return None
        fields = received.fields()
        same_account = equal(fields.get("receiver", ""), self.settings.account or "")
        if not (same_account & equal(fields.get("pswd", ""), password.get_secret_value())):
            raise self.refuse("the callback's account or password does not match", "credentials")
        return None

    def parse(self, received: Received, now: float) -> Push:
        fields = received.fields()
        status = fields.get("status", "")
        push = Push()
        if not status or not fields.get("mobile"):
            raise ValueError("not a 253 report")
        outcome = DeliveryStatus.DELIVERED if status == "DELIVRD" else DeliveryStatus.FAILED
        report = {k: v for k, v in fields.items() if k != "pswd"}  # the password is not kept
        push.reports.append(
            DeliveryReport(
                provider=self.alias,
                provider_message_id=opt_text(fields.get("msgid")),
                phone=self.phone(fields["mobile"]),
                status=outcome,
                provider_status=status,
                error_code=None if outcome is DeliveryStatus.DELIVERED else status,
                done_at=local_time(fields.get("reportTime"), "%y%m%d%H%M", BEIJING),
                received_at=now,
                raw=report,
            )
        )
        return push
