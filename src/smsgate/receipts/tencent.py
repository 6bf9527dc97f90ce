"""Tencent Cloud: the status and reply callbacks, and ``PullSmsSendStatus`` / ``PullSmsReplyStatus``.

Callbacks are JSON arrays, not signed: a secret path token is required. Tencent wants
``{"result":0,"errmsg":"OK"}`` back. The pull APIs hand out each status once (Tencent keeps the
cursor), so a pull asks for everything new, not for particular messages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from .._errors import OutcomeUnknown
from .._http import HttpRequest, HttpResponse
from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ..providers.base import Provider
from ..providers.tencent import CONTENT_TYPE, VERSION, TencentProvider, classify, tc3_authorization
from ._base import Pending, Push, ReceiptParser, Received, Reply, local_time, opt_text, rows

__all__ = ["TencentReceipts"]

_TIME = "%Y-%m-%d %H:%M:%S"
ACK = Reply(200, "application/json", b'{"result":0,"errmsg":"OK"}')
PULL_LIMIT = 100


class TencentReceipts(ReceiptParser):
    name = "tencent"
    needs_token = True
    can_pull = True
    pulls_by_message = False

    def parse(self, received: Received, now: float) -> Push:
        push = Push(reply=ACK)
        for row in rows(received.json(), "tencent callback"):
            if "text" in row:
                push.inbound.append(self._inbound(row, now))
            else:
                push.reports.append(self._report(row, now))
        return push

    def _report(self, row: Mapping[str, Any], now: float) -> DeliveryReport:
        outcome = str(row.get("report_status") or "")
        delivered = outcome == "SUCCESS"
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("sid")),
            phone=self.phone(f"+{row.get('nationcode') or 86}{row.get('mobile') or ''}"),
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            provider_status=str(row.get("errmsg") or outcome),
            error_code=None if delivered else opt_text(row.get("errmsg")),
            done_at=local_time(row.get("user_receive_time"), _TIME),
            received_at=now,
            raw=dict(row),
        )

    def _inbound(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        when = row.get("time")
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(f"+{row.get('nationcode') or 86}{row.get('mobile') or ''}"),
            to=opt_text(row.get("extend")) or opt_text(row.get("sign")),
            text=str(row.get("text") or ""),
            received_at=float(when) if isinstance(when, (int, float)) else now,
            raw=dict(row),
        )

    # -- pull -----------------------------------------------------------------------------------

    def pull_requests(self, provider: Provider, pending: Sequence[Pending]) -> list[HttpRequest]:
        tencent = cast(TencentProvider, provider)
        return [self._pull(tencent, action) for action in ("PullSmsSendStatus", "PullSmsReplyStatus")]

    def _pull(self, provider: TencentProvider, action: str) -> HttpRequest:
        s = provider.settings
        body = json.dumps({"Limit": PULL_LIMIT, "SmsSdkAppId": s.sdk_app_id}).encode()
        timestamp = int(provider.clock())
        secret = s.secret_key.get_secret_value()
        headers = {
            "Host": provider.endpoint.host,
            "Content-Type": CONTENT_TYPE,
            "X-TC-Action": action,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": s.region,
            "Authorization": tc3_authorization(
                s.secret_id, secret, service="sms", host=provider.endpoint.host, timestamp=timestamp, body=body
            ),
        }
        return provider.request(
            "POST", provider.endpoint.base + "/", (), headers=headers, body=body, context={"a": action}
        )

    def parse_pull(self, provider: Provider, request: HttpRequest, response: HttpResponse, now: float) -> Push:
        data = response.json()
        reply = data.get("Response") if isinstance(data, dict) else None
        if response.status != 200 or not isinstance(reply, dict):
            raise OutcomeUnknown(f"unexpected reply (HTTP {response.status})", provider=self.alias)
        error = reply.get("Error")
        if isinstance(error, dict):
            raise classify(str(error.get("Code")), str(error.get("Message", "")), raw=data)
        push = Push()
        if request.context.get("a") == "PullSmsSendStatus":
            for row in rows(reply.get("PullSmsSendStatusSet") or [], "PullSmsSendStatusSet"):
                push.reports.append(self._pulled(row, now))
        else:
            for row in rows(reply.get("PullSmsReplyStatusSet") or [], "PullSmsReplyStatusSet"):
                push.inbound.append(self._reply(row, now))
        return push

    def _pulled(self, row: Mapping[str, Any], now: float) -> DeliveryReport:
        delivered = row.get("ReportStatus") == "SUCCESS"
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("SerialNo")),
            phone=self.phone(row.get("PhoneNumber")),
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            provider_status=str(row.get("Description") or row.get("ReportStatus") or ""),
            error_code=None if delivered else opt_text(row.get("Description")),
            done_at=local_time(row.get("UserReceiveTime"), _TIME),
            received_at=now,
            raw=dict(row),
        )

    def _reply(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        when = row.get("ReplyUnixTime")
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(row.get("PhoneNumber")),
            to=opt_text(row.get("ExtendCode")) or opt_text(row.get("SignName")),
            text=str(row.get("ReplyContent") or ""),
            received_at=float(when) if isinstance(when, (int, float)) else now,
            raw=dict(row),
        )
