"""A Clickatell Platform REST API on loopback, checking the key and the message as Clickatell does.

``POST /messages`` with ``Authorization: <API key>``. Answers 202 with a result per number
(``accepted`` false, with an error description, for a number it refuses; the rest sent), or an
error object with 400, 401 or 429. Delivery callbacks are JSON POSTs, unsigned.
Knobs: :meth:`ClickatellEmulator.throttle`, :meth:`ClickatellEmulator.fail_phone`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

API_KEY = "clickatell-api-key-not-a-real-one=="
_NUMBER = re.compile(r"^[1-9][0-9]{6,14}$")


def error(status: int, code: int, text: str) -> web.Response:
    body = {"messages": [], "errorCode": code, "error": text, "errorDescription": text}
    return web.json_response(body, status=status)


@dataclass
class ClickatellEmulator(EmulatorBase):
    """One Clickatell integration: its key, what it delivered, and the failures it is told to give."""

    api_key: str = API_KEY
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this integration."""
        return {"api_key": self.api_key, "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: Clickatell does not sign, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": "+" + d["to"], "text": d["content"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse ``phone`` (E.164) in its per-number result; the request's other numbers go."""
        self.failures.add(phone.removeprefix("+"))

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/messages" or request.method != "POST":
            return error(404, 404, "Not found")
        if not secrets.compare_digest(request.headers.get("authorization", ""), self.api_key):
            return error(401, 1, "Invalid or missing integration API Key")
        if self.throttles:
            self.throttles -= 1
            return error(429, 429, "Too many requests")
        try:
            body = json.loads(request.body)
            numbers, content = body["to"], body["content"]
        except (ValueError, KeyError, TypeError):
            return error(400, 101, "Invalid or missing parameters")
        if not isinstance(numbers, list) or not numbers or not isinstance(content, str) or not content:
            return error(400, 101, "Invalid or missing parameters")
        rows = [self._send(str(n), content, body) for n in numbers]
        reply = {"messages": rows, "errorCode": None, "error": None, "errorDescription": None}
        return web.Response(status=202, text=json.dumps(reply), content_type="application/json")

    def _send(self, number: str, content: str, body: dict[str, Any]) -> dict[str, Any]:
        if not _NUMBER.match(number) or number in self.failures:
            text = "Invalid destination address"
            return {"apiMessageId": None, "accepted": False, "to": number, "errorCode": 105, "error": text,
                    "errorDescription": text}  # fmt: skip
        ident = secrets.token_hex(16)
        self.delivered.append({"to": number, "content": content, "id": ident, "client": body.get("clientMessageId")})
        return {"apiMessageId": ident, "accepted": True, "to": number, "errorCode": None, "error": None,
                "errorDescription": None}  # fmt: skip

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A JSON status callback for each delivery (``004`` received by recipient, or ``007`` delivery error)."""
        code, status = ("004", "RECEIVED_BY_RECIPIENT") if delivered else ("007", "ERROR_DELIVERING")
        return [
            Outgoing("POST", url, {"Content-Type": "application/json"}, json.dumps(
                {"integrationName": "smsgate", "messageId": d["id"], "requestId": d["id"],
                 "clientMessageId": d.get("client"), "to": d["to"], "from": "", "statusCode": code, "status": status,
                 "statusDescription": status.replace("_", " ").lower(), "timestamp": int(time.time() * 1000)}
            ).encode())
            for d in deliveries
        ]  # fmt: skip
