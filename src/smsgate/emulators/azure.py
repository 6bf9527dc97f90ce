"""An Azure Communication Services SMS resource on loopback, checking the HMAC signature as ACS does.

``POST /sms?api-version=2021-03-07`` signed with the resource's access key (``x-ms-date`` within
15 minutes, ``x-ms-content-sha256`` matching the body, ``Authorization: HMAC-SHA256
SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=…``). Answers 202 with a result per
recipient (400 for a number it refuses, the rest sent), or ``{"error": {"code", "message"}}`` with
400, 401 or 429. Delivery reports go out as Event Grid events. Knobs:
:meth:`AzureEmulator.throttle`, :meth:`AzureEmulator.fail_phone`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

ACCESS_KEY = base64.b64encode(b"azure-access-key-not-a-real-one!").decode()
_SIGNED = "x-ms-date;host;x-ms-content-sha256"


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@dataclass
class AzureEmulator(EmulatorBase):
    """One ACS resource: its key, what it delivered, and the failures it is told to give."""

    access_key: str = ACCESS_KEY
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this resource, sending from a test number."""
        return {"endpoint": self.endpoint, "access_key": self.access_key, "from": "+18005550100", **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: Event Grid does not sign, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per recipient, without credentials."""
        return [{"phone": d["to"], "from": d["from"], "text": d["message"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 and Retry-After (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse ``phone`` (E.164) in its per-recipient result; the request's other numbers go."""
        self.failures.add(phone)

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/sms" or request.method != "POST":
            return error(404, "NotFound", "Resource not found.")
        if not self._signed(request):
            return error(401, "Unauthorized", "Denied by the signature check.")
        if self.throttles:
            self.throttles -= 1
            response = error(429, "TooManyRequests", "Rate limit exceeded.")
            response.headers["Retry-After"] = "1"
            return response
        try:
            body = json.loads(request.body)
            recipients, sender, text = body["smsRecipients"], body["from"], body["message"]
        except (ValueError, KeyError, TypeError):
            return error(400, "BadRequest", "The request body is not valid.")
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= 100 or not text or not sender:
            return error(400, "BadRequest", "smsRecipients, from and message are required (at most 100).")
        rows = [self._send(r, sender, text, body) for r in recipients]
        return web.Response(status=202, text=json.dumps({"value": rows}), content_type="application/json")

    def _signed(self, request: Received) -> bool:
        h = request.headers
        date, content_hash = h.get("x-ms-date", ""), h.get("x-ms-content-sha256", "")
        try:
            skew = abs(time.time() - parsedate_to_datetime(date).timestamp())
        except (TypeError, ValueError):
            return False
        if skew > 900 or content_hash != base64.b64encode(hashlib.sha256(request.body).digest()).decode():
            return False
        scheme, _, params = h.get("authorization", "").partition(" ")
        fields = dict(part.split("=", 1) for part in params.split("&") if "=" in part)
        if scheme != "HMAC-SHA256" or fields.get("SignedHeaders") != _SIGNED:
            return False
        path = request.path + (f"?{request.raw_query}" if request.raw_query else "")
        to_sign = f"POST\n{path}\n{date};{h.get('host', '')};{content_hash}"
        mac = hmac.new(base64.b64decode(self.access_key), to_sign.encode(), hashlib.sha256).digest()
        return secrets.compare_digest(fields.get("Signature", ""), base64.b64encode(mac).decode())

    def _send(self, recipient: Any, sender: str, text: str, body: dict[str, Any]) -> dict[str, Any]:
        to = recipient.get("to") if isinstance(recipient, dict) else None
        if not isinstance(to, str) or not to.startswith("+") or to in self.failures:
            return {"to": to, "httpStatusCode": 400, "errorMessage": "Invalid To phone number format.",
                    "successful": False}  # fmt: skip
        ident = f"Outgoing_{time.strftime('%Y%m%d%H%M%S')}{uuid.uuid4().hex[:20]}_noam"
        tag = (body.get("smsSendOptions") or {}).get("tag")
        self.delivered.append({"to": to, "from": sender, "message": text, "id": ident, "tag": tag})
        return {"to": to, "messageId": ident, "httpStatusCode": 202, "repeatabilityResult": "accepted",
                "successful": True}  # fmt: skip

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One Event Grid array of ``SMSDeliveryReportReceived`` events for the deliveries."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        events = [
            {"id": str(uuid.uuid4()), "topic": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Communication/"
             "communicationServices/z", "subject": f"/phonenumber/{d['from'].lstrip('+')}",
             "eventType": "Microsoft.Communication.SMSDeliveryReportReceived", "eventTime": now, "dataVersion": "1.0",
             "data": {"messageId": d["id"], "from": d["from"], "to": d["to"],
                      "deliveryStatus": "Delivered" if delivered else "Failed",
                      "deliveryStatusDetails": "No error." if delivered else "Unreachable",
                      "deliveryAttempts": [{"timestamp": now, "segmentsSucceeded": int(delivered),
                                            "segmentsFailed": int(not delivered)}],
                      "receivedTimestamp": now, "tag": d.get("tag")}}
            for d in deliveries
        ]  # fmt: skip
        return [Outgoing("POST", url, {"Content-Type": "application/json", "aeg-event-type": "Notification",
                                       "Date": formatdate(usegmt=True)}, json.dumps(events).encode())]  # fmt: skip
