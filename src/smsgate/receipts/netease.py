"""NetEase Yunxin: SMS receipts copied (抄送) to the application's copy URL, eventType 11.

Each copy carries ``AppKey``, ``CurTime``, ``MD5`` (hex MD5 of the body) and ``CheckSum`` (hex SHA-1
of app secret, MD5 and time); both are recomputed here and the time must lie in the replay window.
``result`` ``DELIVRD`` is delivered, anything else failed.
"""

from __future__ import annotations

import hashlib

from pydantic import Field, SecretStr

from .._reports import DeliveryReport, DeliveryStatus
from ._base import Push, ReceiptParser, ReceiptSettings, Received, equal, opt_text

__all__ = ["NeteaseReceiptSettings", "NeteaseReceipts", "netease_copy_checksum"]


class NeteaseReceiptSettings(ReceiptSettings):
    app_key: str = Field(description="the application's AppKey")
    app_secret: SecretStr = Field(description="the application's AppSecret")


def netease_copy_checksum(app_secret: str, body: bytes, cur_time: str) -> tuple[str, str]:
    """``(MD5, CheckSum)`` of a copied body sent at ``cur_time``."""
    md5 = hashlib.md5(body).hexdigest()
    return md5, hashlib.sha1(f"{app_secret}{md5}{cur_time}".encode()).hexdigest()


class NeteaseReceipts(ReceiptParser):
    name = "netease"
    settings_model = NeteaseReceiptSettings
    settings: NeteaseReceiptSettings

    def signs(self) -> bool:
        return True

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        h = received.headers
        stamp = h.get("curtime", "")
        md5, checksum = netease_copy_checksum(self.settings.app_secret.get_secret_value(), received.body, stamp)
        same = equal(h.get("md5", ""), md5) & equal(h.get("checksum", ""), checksum)
        if not (same and equal(h.get("appkey", ""), self.settings.app_key)):
            raise self.refuse("the copy's MD5 or CheckSum does not match", "signature")
        self.check_fresh(float(stamp) if stamp.isdigit() else None, now)
        return checksum

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        if not isinstance(data, dict):
            raise ValueError("not a Yunxin copy")
        push = Push()
        if str(data.get("eventType")) != "11" or not data.get("mobile"):
            push.pending += 1  # another kind of copy: nothing about SMS delivery
            return push
        result = str(data.get("result") or "")
        outcome = DeliveryStatus.DELIVERED if result == "DELIVRD" else DeliveryStatus.FAILED
        push.reports.append(
            DeliveryReport(
                provider=self.alias,
                provider_message_id=opt_text(data.get("sendid")),
                phone=self.phone(data.get("mobile")),
                status=outcome,
                provider_status=result,
                error_code=None if outcome is DeliveryStatus.DELIVERED else result,
                received_at=now,
                raw=data,
            )
        )
        return push
