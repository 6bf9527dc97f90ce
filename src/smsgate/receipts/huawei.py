"""Huawei Cloud MSGSMS: status reports (one form POST each, or a JSON ``statusReportList`` batch)
and inbound messages (form POST).

Pushes are unauthenticated unless "push AK/SK authentication" is turned on in the console; then
they carry ``X-Sdk-Date`` and ``Authorization: SDK-HMAC-SHA256 …``, checked here with the same
algorithm as the send side. The body must be signed too (``X-Sdk-Content-Sha256`` its SHA-256),
unless ``allow_unsigned_payload`` is set. Without AK/SK, a secret path token is required.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import Field, SecretStr

from .._errors import InvalidRequest
from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ..providers.huawei import UNSIGNED, aksk_authorization
from ._base import Push, ReceiptParser, ReceiptSettings, Received, Reply, equal, opt_int, opt_text, rows

__all__ = ["HuaweiReceiptSettings", "HuaweiReceipts"]

ACK = Reply(200, "application/json", b'{"resultCode":"0","resultDesc":"OK"}')
_STATUS = {
    "DELIVRD": DeliveryStatus.DELIVERED,
    "EXPIRED": DeliveryStatus.EXPIRED,
    "REJECTD": DeliveryStatus.REJECTED,
    "BLACK": DeliveryStatus.REJECTED,
    "UNKNOWN": DeliveryStatus.UNKNOWN,
}
_PENDING = frozenset({"ACCEPTD", "ACCEPTED"})
_AUTH = re.compile(r"^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$")


class HuaweiReceiptSettings(ReceiptSettings):
    aksk: bool = Field(False, description="the console's push AK/SK authentication is on")
    app_key: str | None = Field(None, description="the application key (checked with aksk)")
    app_secret: SecretStr | None = Field(None, description="the application secret (checked with aksk)")
    allow_unsigned_payload: bool = Field(False, description="accept X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD")


class HuaweiReceipts(ReceiptParser):
    name = "huawei"
    settings_model = HuaweiReceiptSettings
    needs_token = True
    settings: HuaweiReceiptSettings

    def signs(self) -> bool:
        return self.settings.aksk

    def verify(self, received: Received, now: float) -> str | None:
        self.check_token(received)
        s = self.settings
        if not s.aksk:
            return None
        if not s.app_key or s.app_secret is None:
            raise self.refuse("aksk is on but app_key or app_secret is not set", "settings")
        match = _AUTH.match(received.headers.get("authorization", ""))
        if match is None:
            raise self.refuse("no SDK-HMAC-SHA256 Authorization header", "signature")
        access, names, _ = match.groups()
        signed = {name: received.headers.get(name, "") for name in names.split(";")}
        if not equal(access, s.app_key) or "x-sdk-date" not in signed:
            raise self.refuse("the Authorization header names another key or leaves the date unsigned", "signature")
        content = received.headers.get("x-sdk-content-sha256", "")
        if content == UNSIGNED and not s.allow_unsigned_payload:
            raise self.refuse("the body is not signed (UNSIGNED-PAYLOAD)", "body")
        body_hash = hashlib.sha256(received.body).hexdigest()
        if content != UNSIGNED and ("x-sdk-content-sha256" not in signed or not equal(content, body_hash)):
            raise self.refuse("the body does not match X-Sdk-Content-Sha256", "body")
        expected = aksk_authorization(
            s.app_key, s.app_secret.get_secret_value(), method=received.method, path=received.path, headers=signed
        )
        if not equal(received.headers["authorization"], expected):
            raise self.refuse("the signature does not match", "signature")
        self.check_fresh(_sdk_date(signed["x-sdk-date"]), now)
        return match.group(3)

    def parse(self, received: Received, now: float) -> Push:
        push = Push(reply=ACK)
        if "json" in received.headers.get("content-type", ""):
            data = received.json()
            items = data.get("statusReportList") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise InvalidRequest("huawei push: no statusReportList", field="body")
            found = rows(items, "statusReportList")
        else:
            found = [received.fields()]
        for row in found:
            if "body" in row and "from" in row:
                push.inbound.append(self._inbound(row, now))
            elif str(row.get("status") or "") in _PENDING:
                push.pending += 1
            else:
                push.reports.append(self._report(row, now))
        return push

    def _report(self, row: Mapping[str, Any], now: float) -> DeliveryReport:
        code = str(row.get("status") or "")
        if not code or not row.get("smsMsgId"):
            raise InvalidRequest("huawei status report: smsMsgId and status are required", field="body")
        status = _STATUS.get(code, DeliveryStatus.FAILED)
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("smsMsgId")),
            phone=self.phone(row.get("to")),
            status=status,
            provider_status=code,
            error_code=None if status is DeliveryStatus.DELIVERED else opt_text(row.get("orgCode")) or code,
            segments=opt_int(row.get("total")),
            done_at=_iso(row.get("updateTime")),
            received_at=now,
            raw=dict(row),
        )

    def _inbound(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(row.get("from")),
            to=opt_text(row.get("to")),
            text=str(row.get("body") or ""),
            received_at=_iso(row.get("createTime")) or now,
            provider_message_id=opt_text(row.get("smsMsgId")),
            raw=dict(row),
        )


def _sdk_date(text: str) -> float | None:
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def _iso(value: Any) -> float | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None
