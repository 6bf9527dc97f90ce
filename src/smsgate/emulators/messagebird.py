"""A MessageBird classic SMS API on loopback, checking the access key and the message as MessageBird does.

``POST /messages`` with ``Authorization: AccessKey <key>`` and a JSON (or form) body. Answers 201
with the message (one id for every recipient), or ``{"errors": [{"code", "description",
"parameter"}]}`` with 401 (code 2), 422 (codes 9, 10: nothing sent), 402 (25, no balance) or 429.
Delivery reports are GET requests to the report URL, signed with a ``MessageBird-Signature-JWT``.
Knobs: :meth:`MessageBirdEmulator.throttle`, :meth:`MessageBirdEmulator.fail_phone`,
:meth:`MessageBirdEmulator.no_balance`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

ACCESS_KEY = "live_messagebird-access-key-not-real"
SIGNING_KEY = "messagebird-signing-key-not-a-real-one"
_NUMBER = re.compile(r"^[1-9][0-9]{6,14}$")


def error(status: int, code: int, description: str, parameter: str | None = None) -> web.Response:
    return web.json_response({"errors": [{"code": code, "description": description, "parameter": parameter}]},
                             status=status)  # fmt: skip


@dataclass
class MessageBirdEmulator(EmulatorBase):
    """One MessageBird account: its keys, what it delivered, and the failures it is told to give."""

    access_key: str = ACCESS_KEY
    signing_key: str = SIGNING_KEY
    failures: set[str] = field(default_factory=set)
    throttles: int = 0
    broke: bool = False

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"access_key": self.access_key, "originator": "Acme", "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this emulator's signed reports."""
        return {"signing_key": self.signing_key}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per recipient, without credentials."""
        return [{"phone": "+" + d["recipient"], "from": d["originator"], "text": d["body"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse any message with ``phone`` (E.164) among its recipients (code 10, nothing sent)."""
        self.failures.add(phone.removeprefix("+"))

    def no_balance(self) -> None:
        """Refuse every message for want of balance (code 25, nothing sent)."""
        self.broke = True

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/messages" or request.method != "POST":
            return error(404, 20, "resource not found")
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "AccessKey" or not secrets.compare_digest(key, self.access_key):
            return error(401, 2, "Request not allowed (incorrect access_key)", "access_key")
        if self.throttles:
            self.throttles -= 1
            return error(429, 21, "Too many requests")
        if self.broke:
            return error(402, 25, "Not enough balance")
        try:
            if "json" in request.headers.get("content-type", ""):
                body = json.loads(request.body)
            else:
                body = dict(parse_qsl(request.body.decode()))
        except (ValueError, UnicodeDecodeError):
            return error(422, 21, "Bad request")
        problem = self._invalid(body)
        if problem is not None:
            return error(422, *problem)
        return self._deliver(body)

    def _invalid(self, body: Any) -> tuple[int, str, str] | None:
        if not isinstance(body, dict):
            return 21, "Bad request", "body"
        for name in ("originator", "recipients", "body"):
            if not body.get(name):
                return 9, f"no ({name}) given", name
        recipients = body["recipients"]
        numbers = recipients.split(",") if isinstance(recipients, str) else [str(r) for r in recipients]
        if len(numbers) > 50 or not all(_NUMBER.match(n) for n in numbers) or set(numbers) & self.failures:
            return 10, "invalid recipients", "recipients"
        body["recipients"] = numbers
        return None

    def _deliver(self, body: dict[str, Any]) -> web.Response:
        ident = secrets.token_hex(16)
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        for number in body["recipients"]:
            self.delivered.append({**body, "recipient": number, "id": ident})
        items = [{"recipient": int(n), "status": "sent", "statusDatetime": now} for n in body["recipients"]]
        reply = {"id": ident, "href": f"https://rest.messagebird.com/messages/{ident}", "direction": "mt",
                 "originator": body["originator"], "body": body["body"], "reference": body.get("reference"),
                 "createdDatetime": now, "recipients": {"totalCount": len(items), "totalSentCount": len(items),
                 "totalDeliveredCount": 0, "totalDeliveryFailedCount": 0, "items": items}}  # fmt: skip
        return web.Response(status=201, text=json.dumps(reply), content_type="application/json")

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A signed GET to ``url`` for each delivery, its report in the query, as MessageBird calls ``reportUrl``."""
        out = []
        for d in deliveries:
            query = {"id": d["id"], "reference": d.get("reference") or "", "recipient": d["recipient"],
                     "status": "delivered" if delivered else "delivery_failed",
                     "statusDatetime": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                     "statusErrorCode": "" if delivered else "1"}  # fmt: skip
            full = f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
            headers = {"MessageBird-Signature-JWT": jwt_for(self.signing_key, full, b"")}
            out.append(Outgoing("GET", full, headers, b""))
        return out


def jwt_for(signing_key: str, url: str, body: bytes, now: float | None = None) -> str:
    """A ``MessageBird-Signature-JWT`` for a request to ``url`` carrying ``body``."""
    import jwt

    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": "MessageBird", "nbf": issued, "exp": issued + 300, "jti": secrets.token_hex(8),
                              "url_hash": hashlib.sha256(url.encode()).hexdigest()}  # fmt: skip
    if body:
        claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    return jwt.encode(claims, signing_key, algorithm="HS256")
