"""MSG91: delivery reports, as the legacy webhook posts them (a form field ``data`` holding a JSON
list of ``{requestId, report: [{number, status, desc, date}]}``) or as one JSON object per number.

MSG91 does not sign its webhooks: a secret path token is required. Status ``1`` is delivered,
``2`` failed, ``9`` (NDNC), ``16``, ``25`` rejected and ``17`` blocked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta, timezone
from typing import Any

from .._reports import DeliveryReport, DeliveryStatus
from ._base import Push, ReceiptParser, Received, local_time, opt_text, rows

__all__ = ["Msg91Receipts"]

_INDIA = timezone(timedelta(hours=5, minutes=30))
_FINAL = {
    "1": DeliveryStatus.DELIVERED,
    "2": DeliveryStatus.FAILED,
    "9": DeliveryStatus.REJECTED,
    "16": DeliveryStatus.REJECTED,
    "17": DeliveryStatus.REJECTED,
    "25": DeliveryStatus.REJECTED,
}


class Msg91Receipts(ReceiptParser):
    name = "msg91"
    needs_token = True

    def parse(self, received: Received, now: float) -> Push:
        fields = dict(received.form()) if "form" in received.headers.get("content-type", "") else {}
        data = json.loads(fields["data"]) if "data" in fields else received.json()
        push = Push()
        for batch in rows(data, "msg91"):
            reports = batch.get("report") if isinstance(batch.get("report"), list) else [batch]
            for item in rows(reports, "msg91"):
                self._add(push, item, str(batch.get("requestId") or item.get("requestId") or ""), now)
        return push

    def _add(self, push: Push, item: Mapping[str, Any], request_id: str, now: float) -> None:
        status = str(item.get("status") or "")
        if status not in _FINAL:
            push.pending += 1
            return
        outcome = _FINAL[status]
        failed = None if outcome is DeliveryStatus.DELIVERED else opt_text(item.get("failedReason")) or status
        number = str(item.get("number") or item.get("telNum") or "")
        push.reports.append(
            DeliveryReport(
                provider=self.alias,
                provider_message_id=request_id or None,
                phone=self.phone("+" + number.removeprefix("+")),
                status=outcome,
                provider_status=opt_text(item.get("desc")) or status,
                error_code=failed,
                done_at=local_time(item.get("date"), "%Y-%m-%d %H:%M:%S", _INDIA),
                received_at=now,
                raw=dict(item),
            )
        )
