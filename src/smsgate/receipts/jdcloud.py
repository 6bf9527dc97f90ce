"""JD Cloud: receipts by pull only, ``statusReport`` per sent message and ``reply`` per day.

JD Cloud documents no push. ``POST /v1/regions/{region}/statusReport`` (``sequenceNumber``,
``phoneList``) answers rows ``{phoneNum, sequenceNumber, sendTime, reportTime, status, code,
splitNum}``; ``POST /v1/regions/{region}/reply`` (``appId``, ``dataDate``) answers the replies of
that day ``{appId, signId, phoneNum, dataTime, content}``, asked for each day since the cursor
when the provider's ``app_id`` is set. Both are signed as a send is. The SDK does not list the
``status`` values: ``DELIVRD`` (or ``SUCCESS``, ``0``) is taken as delivered, an empty status as not
settled yet, anything else as failed, with ``code`` as the error code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

from .._http import HttpRequest, HttpResponse
from .._reports import DeliveryReport, DeliveryStatus, InboundMessage
from ..providers.base import Provider
from ..providers.jdcloud import JdCloudProvider
from ._base import BEIJING, NotSupported, Pending, Push, ReceiptParser, Received, local_time, opt_int, opt_text, rows

__all__ = ["JdCloudReceipts"]

_TIME = "%Y-%m-%d %H:%M:%S"
_DELIVERED = {"DELIVRD", "DELIVERED", "SUCCESS", "0"}
MAX_DAYS = 7  # reply pulls look back at most this many days


class JdCloudReceipts(ReceiptParser):
    name = "jdcloud"
    pushes: ClassVar[bool] = False
    can_pull = True

    def verify(self, received: Received, now: float) -> str | None:
        raise NotSupported("jdcloud documents no receipt push: use poll_reports()", provider=self.alias, what="push")

    # -- pull ----------------------------------------------------------------------------------

    def pull_requests(self, provider: Provider, pending: Sequence[Pending]) -> list[HttpRequest]:
        jd = cast(JdCloudProvider, provider)
        asks = [({"sequenceNumber": p.provider_message_id, "phoneList": [_national(p)]}, p.phone) for p in pending]
        return [jd.api_request("statusReport", fields, a="statusReport", phone=phone) for fields, phone in asks]

    def pull_new(self, provider: Provider, since: float, now: float) -> list[HttpRequest]:
        jd = cast(JdCloudProvider, provider)
        app_id = jd.settings.app_id
        if not app_id:
            return []
        first = datetime.fromtimestamp(max(since, now - MAX_DAYS * 86400), BEIJING).date()
        last = datetime.fromtimestamp(now, BEIJING).date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [jd.api_request("reply", {"appId": app_id, "dataDate": day.isoformat()}, a="reply") for day in days]

    def parse_pull(self, provider: Provider, request: HttpRequest, response: HttpResponse, now: float) -> Push:
        data = cast(JdCloudProvider, provider).result_data(response)
        push = Push()
        if request.context.get("a") == "reply":
            push.inbound += [self._reply(row, now) for row in rows(data or [], "jdcloud reply")]
            return push
        for row in rows(data or [], "jdcloud statusReport"):
            status = str(row.get("status") if row.get("status") is not None else "").strip()
            if not status:
                push.pending += 1
            else:
                push.reports.append(self._report(row, status, request.context.get("phone"), now))
        return push

    def _report(self, row: Mapping[str, Any], status: str, phone: Any, now: float) -> DeliveryReport:
        delivered = status.upper() in _DELIVERED
        code = opt_text(row.get("code"))
        return DeliveryReport(
            provider=self.alias,
            provider_message_id=opt_text(row.get("sequenceNumber")),
            phone=str(phone) if phone else self.phone(row.get("phoneNum")),
            status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED,
            provider_status=status,
            error_code=None if delivered else code or status,
            segments=opt_int(row.get("splitNum")),
            submitted_at=local_time(row.get("sendTime"), _TIME),
            done_at=local_time(row.get("reportTime"), _TIME),
            received_at=now,
            raw=dict(row),
        )

    def _reply(self, row: Mapping[str, Any], now: float) -> InboundMessage:
        sender, text, when = self.phone(row.get("phoneNum")), str(row.get("content") or ""), row.get("dataTime")
        ident = hashlib.sha256(f"{row.get('appId')}|{sender}|{when}|{text}".encode()).hexdigest()[:32]
        return InboundMessage(
            provider=self.alias,
            sender=sender,
            to=opt_text(row.get("signId")),
            text=text,
            received_at=local_time(when, _TIME) or now,
            provider_message_id=ident,  # JD gives none: the same reply pulled again is kept once
            raw=dict(row),
        )


def _national(pending: Pending) -> str:
    return pending.phone.removeprefix("+86") if pending.phone.startswith("+86") else pending.phone
