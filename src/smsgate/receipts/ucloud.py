"""UCloud USMS: delivery reports pushed as ``{"MsgType": 2, "Data": [...]}`` (JSON POST).

UCloud does not sign its pushes: a secret path token is required. A report names the request's
``SessionNo`` and the ``Phone`` (national for China, ``(cc)number`` abroad); ``ReceiptResult`` says
``Success``/``发送成功``, ``Fail``/``发送失败`` or ``Unknow``/``状态未知``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._reports import DeliveryReport, DeliveryStatus
from ._base import Push, ReceiptParser, Received, opt_int, opt_text, rows

__all__ = ["UCloudReceipts"]

_RESULTS = {
    "Success": DeliveryStatus.DELIVERED,
    "发送成功": DeliveryStatus.DELIVERED,
    "Fail": DeliveryStatus.FAILED,
    "发送失败": DeliveryStatus.FAILED,
    "Unknow": DeliveryStatus.UNKNOWN,
    "状态未知": DeliveryStatus.UNKNOWN,
}


class UCloudReceipts(ReceiptParser):
    name = "ucloud"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        data = received.json()
        if not isinstance(data, dict) or data.get("MsgType") != 2:
            raise ValueError("not a UCloud delivery report")
        push = Push()
        for item in rows(data.get("Data") or [], "ucloud"):
            result = str(item.get("ReceiptResult") or "")
            if result not in _RESULTS:
                push.pending += 1
                continue
            push.reports.append(self._report(item, _RESULTS[result], now))
        return push

    def _report(self, item: Mapping[str, Any], outcome: DeliveryStatus, now: float) -> DeliveryReport:
        phone = str(item.get("Phone") or "")
        if phone.startswith("("):
            phone = "+" + phone.replace("(", "").replace(")", "")
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(item.get("SessionNo")),
            phone=self.phone(phone),
            status=outcome,
            provider_status=str(item.get("ReceiptResult")),
            error_code=None if outcome is DeliveryStatus.DELIVERED else opt_text(item.get("ReceiptCode")),
            segments=opt_int(item.get("CostCount")),
            done_at=float(item["ReceiptTime"]) if isinstance(item.get("ReceiptTime"), int) else None,
            received_at=now,
            raw=dict(item),
        )
