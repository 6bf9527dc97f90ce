"""Yunpian: delivery reports (the form field ``sms_status``) and replies (``sms_reply``), each a
URL-encoded JSON array, POSTed to the callback URL.

Yunpian does not sign its reports: a secret path token is required. Yunpian expects ``SUCCESS``
as the answer, else it pushes again. ``report_status`` ``SUCCESS`` is delivered, ``FAIL`` failed,
with the carrier's code in ``error_msg``; ``sid`` (a 64-bit id) names the message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ._base import BEIJING, Push, ReceiptParser, Received, Reply, local_time, opt_text, rows

__all__ = ["YunpianReceipts"]

ACK = Reply(200, "text/plain", b"SUCCESS")
_TIME = "%Y-%m-%d %H:%M:%S"


class YunpianReceipts(ReceiptParser):
    name = "yunpian"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        fields = dict(received.form())
        push = Push(reply=ACK)
        if "sms_status" in fields:
            for item in rows(_decoded(fields["sms_status"]), "yunpian"):
                push.reports.append(self._report(item, now))
        elif "sms_reply" in fields:
            for item in rows(_decoded(fields["sms_reply"]), "yunpian"):
                push.inbound.append(self._inbound(item, now))
        else:
            raise ValueError("neither sms_status nor sms_reply")
        return push

    def _report(self, item: Mapping[str, Any], now: float) -> DeliveryReport:
        ok = item.get("report_status") == "SUCCESS"
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(item.get("sid")),
            phone=self.phone(item.get("mobile")),
            status=DeliveryStatus.DELIVERED if ok else DeliveryStatus.FAILED,
            provider_status=str(item.get("report_status") or ""),
            error_code=None if ok else opt_text(item.get("error_msg")),
            done_at=local_time(item.get("user_receive_time"), _TIME, BEIJING),
            received_at=now,
            raw=dict(item),
        )

    def _inbound(self, item: Mapping[str, Any], now: float) -> InboundMessage:
        return InboundMessage(
            provider=self.alias,
            sender=self.phone(item.get("mobile")),
            to=opt_text(item.get("extend")),
            text=str(item.get("text") or ""),
            received_at=local_time(item.get("reply_time"), _TIME, BEIJING) or now,
            provider_message_id=opt_text(item.get("id")),
            raw=dict(item),
        )


def _decoded(value: str) -> Any:
    """The JSON of a field, URL-decoded once more when a stack encoded it twice."""
    try:
        return json.loads(value)
    except ValueError:
        return json.loads(unquote(value))
