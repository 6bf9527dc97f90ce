"""Aliyun: the HTTP batch pushes ``SmsReport`` (mainland and international) and ``SmsUp``, and
``QuerySendDetails`` to pull. Pushes are JSON arrays, not signed: a secret path token is required.
Aliyun wants ``{"code":0,"msg":"接收成功"}`` back, else it pushes again after 1, 5 and 10 minutes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from .._errors import InvalidRequest
from .._http import HttpRequest, HttpResponse
from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ..providers.aliyun import AliyunProvider, DeliveryRecord
from ..providers.base import Provider
from ._base import BEIJING, Pending, Push, ReceiptParser, Received, Reply, local_time, opt_int, opt_text, rows

__all__ = ["AliyunReceipts"]

_TIME = "%Y-%m-%d %H:%M:%S"
ACK = Reply(200, "application/json", json.dumps({"code": 0, "msg": "接收成功"}, ensure_ascii=False).encode())
_INTERNATIONAL = {"1": DeliveryStatus.DELIVERED, "2": DeliveryStatus.FAILED, "6": DeliveryStatus.EXPIRED}
_FAILED_CODES = {"EXPIRED": DeliveryStatus.EXPIRED, "REJECTD": DeliveryStatus.REJECTED}


class AliyunReceipts(ReceiptParser):
    name = "aliyun"
    needs_token = True
    can_pull = True

    def parse(self, received: Received, now: float) -> Push:
        push = Push(reply=ACK)
        for row in rows(received.json(), "aliyun push"):
            if "content" in row:
                push.inbound.append(self._inbound(row, now))
            elif "MessageId" in row:
                push.reports.append(self._international(row, now))
            elif "success" in row or "err_code" in row:
                push.reports.append(self._report(row, now))
            else:
                raise InvalidRequest("aliyun push: neither SmsReport nor SmsUp", field="body")
        return push

    def _report(self, row: Mapping[str, Any], now: float) -> DeliveryReport:
        code = str(row.get("err_code") or "")
        success = row.get("success") in (True, "true", "True")
        status = DeliveryStatus.DELIVERED if success else _FAILED_CODES.get(code, DeliveryStatus.FAILED)
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("biz_id")),
            phone=self.phone(row.get("phone_number")),
            status=status,
            provider_status=code or ("DELIVERED" if success else "FAILED"),
            error_code=None if success else code or None,
            segments=opt_int(row.get("sms_size")),
            submitted_at=local_time(row.get("send_time"), _TIME),
            done_at=local_time(row.get("report_time"), _TIME),
            received_at=now,
            raw=dict(row),
        )

    def _international(self, row: Mapping[str, Any], now: float) -> DeliveryReport:
        code = str(row.get("Status") or "")
        status = _INTERNATIONAL.get(code, DeliveryStatus.UNKNOWN)
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("MessageId")),
            phone=self.phone("+" + str(row.get("To") or "").lstrip("+")),
            status=status,
            provider_status=code,
            error_code=opt_text(row.get("ErrorCode")) if status is not DeliveryStatus.DELIVERED else None,
            segments=opt_int(row.get("SmsSize")),
            received_at=now,
            raw=dict(row),
        )

    def _inbound(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(row.get("phone_number")),
            to=opt_text(row.get("dest_code")) or opt_text(row.get("sign_name")),
            text=str(row.get("content") or ""),
            received_at=local_time(row.get("send_time"), _TIME) or now,
            provider_message_id=opt_text(row.get("sequence_id")),
            raw=dict(row),
        )

    # -- pull: QuerySendDetails, one query per (phone, BizId) ---------------------------------

    def pull_requests(self, provider: Provider, pending: Sequence[Pending]) -> list[HttpRequest]:
        aliyun = cast(AliyunProvider, provider)
        return [
            aliyun.query_request(p.phone, datetime.fromtimestamp(p.sent_at, BEIJING), biz_id=p.provider_message_id)
            for p in pending
        ]

    def parse_pull(self, provider: Provider, request: HttpRequest, response: HttpResponse, now: float) -> Push:
        push = Push()
        phone = request.recipients[0].e164 if request.recipients else ""
        for record in cast(AliyunProvider, provider).parse_details(request, response):
            if record.status.value == "pending":
                push.pending += 1
            else:
                push.reports.append(self._pulled(record, phone, now))
        return push

    def _pulled(self, record: DeliveryRecord, phone: str, now: float) -> DeliveryReport:
        delivered = record.status.value == "delivered"
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=record.biz_id,
            phone=phone or self.phone(record.phone),
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            provider_status=record.err_code or record.status.value.upper(),
            error_code=None if delivered else record.err_code,
            submitted_at=record.send_date.timestamp() if record.send_date else None,
            done_at=record.receive_date.timestamp() if record.receive_date else None,
            received_at=now,
        )
