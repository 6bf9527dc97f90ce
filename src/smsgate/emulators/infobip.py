"""An Infobip SMS API (v3) on loopback, checking the key and the messages as Infobip does.

``POST /sms/3/messages`` with ``Authorization: App <key>`` and ``{"messages": [...]}``. Answers
200 with a ``bulkId`` and, per destination, a ``messageId`` and a status: ``PENDING_ACCEPTED``, or
a REJECTED-group status for a number it refuses (nothing sent to that number, the rest sent).
Errors answer ``{"errorCode", "description"}`` with 400, 401 or 429. Delivery reports are pushed
as ``{"results": [...]}``, unsigned (a secret path token guards the receiving URL).
Knobs: :meth:`InfobipEmulator.throttle`, :meth:`InfobipEmulator.fail_phone`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

API_KEY = "infobip-api-key-not-a-real-one"
_NUMBER = re.compile(r"^[1-9][0-9]{6,14}$")
_GROUPS = {1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}


def error(status: int, code: str, description: str) -> web.Response:
    return web.json_response(
        {"errorCode": code, "description": description, "action": "", "violations": []}, status=status
    )


def status_of(group: int, ident: int, name: str, description: str) -> dict[str, Any]:
    return {"groupId": group, "groupName": _GROUPS[group], "id": ident, "name": name, "description": description}


@dataclass
class InfobipEmulator(EmulatorBase):
    """One Infobip account: its key, what it delivered, and the failures it is told to give."""

    api_key: str = API_KEY
    failures: dict[str, str] = field(default_factory=dict)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account (its base URL is the emulator's)."""
        return {"api_key": self.api_key, "sender": "InfoSMS", "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: Infobip does not sign, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per destination, without credentials."""
        return [{"phone": "+" + d["to"], "from": d["sender"], "text": d["text"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str, name: str = "REJECTED_DESTINATION") -> None:
        """Refuse ``phone`` (E.164) with REJECTED-group status ``name``; the request's other numbers go."""
        self.failures[phone.removeprefix("+")] = name

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/sms/3/messages" or request.method != "POST":
            return error(404, "E404", "Not found.")
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "App" or not secrets.compare_digest(key, self.api_key):
            return error(401, "E401", "Invalid login details.")
        if self.throttles:
            self.throttles -= 1
            return error(429, "E429", "Too many requests.")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "E400", "Request cannot be processed: invalid JSON.")
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return error(400, "E400", "messages: must not be empty.")
        for entry in messages:
            problem = _invalid(entry)
            if problem:
                return error(400, "E400", problem)
        bulk = str(uuid.uuid4())
        rows = [self._send(bulk, entry, d["to"]) for entry in messages for d in entry["destinations"]]
        return web.Response(
            status=200, text=json.dumps({"bulkId": bulk, "messages": rows}), content_type="application/json"
        )

    def _send(self, bulk: str, entry: dict[str, Any], number: str) -> dict[str, Any]:
        ident = str(uuid.uuid4())
        if number in self.failures:
            status = status_of(5, 51, self.failures[number], "Message rejected")
        else:
            status = status_of(1, 26, "PENDING_ACCEPTED", "Message sent to next instance")
            self.delivered.append(
                {"to": number, "sender": entry["sender"], "text": entry["content"]["text"], "id": ident, "bulk": bulk}
            )
        return {"messageId": ident, "status": status, "destination": number, "details": {"messageCount": 1}}

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One batched ``{"results": [...]}`` report for the deliveries, as Infobip pushes them."""
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
        state = (
            status_of(3, 5, "DELIVERED_TO_HANDSET", "Message delivered to handset")
            if delivered
            else status_of(2, 4, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered")
        )
        results = [
            {
                "bulkId": d["bulk"], "messageId": d["id"], "to": d["to"], "sender": d["sender"], "sentAt": now,
                "doneAt": now, "messageCount": 1, "price": {"pricePerMessage": 0.01, "currency": "EUR"},
                "status": state, "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR",
                                           "permanent": False} if delivered else
                {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 27, "name": "EC_ABSENT_SUBSCRIBER",
                 "permanent": False},
            }
            for d in deliveries
        ]  # fmt: skip
        body = json.dumps({"results": results}).encode()
        return [Outgoing("POST", url, {"Content-Type": "application/json"}, body)]


def _invalid(entry: Any) -> str | None:
    if not isinstance(entry, dict) or not entry.get("sender"):
        return "messages[].sender: must not be empty."
    destinations = entry.get("destinations")
    if not isinstance(destinations, list) or not destinations:
        return "messages[].destinations: must not be empty."
    if not isinstance(entry.get("content"), dict) or not entry["content"].get("text"):
        return "messages[].content.text: must not be empty."
    for d in destinations:
        if not isinstance(d, dict) or not _NUMBER.match(str(d.get("to", ""))):
            return f"messages[].destinations[].to: invalid number {d.get('to') if isinstance(d, dict) else d}."
    return None
