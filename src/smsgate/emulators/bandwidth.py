"""A Bandwidth Messaging API (v2) on loopback, checking the API user and the message as Bandwidth does.

``POST /api/v2/users/{accountId}/messages`` with HTTP Basic auth (the account in the path must be
the user's) and a JSON body. Answers 202 with the message, or ``{"type", "description",
"fieldErrors"}`` with 400, 401, 403 or 429. Pushes ``message-delivered`` / ``message-failed``
events as a JSON array with the application's callback credentials (HTTP Basic).
Knobs: :meth:`BandwidthEmulator.throttle`, :meth:`BandwidthEmulator.fail_phone`.
"""

from __future__ import annotations

import base64
import binascii
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

ACCOUNT_ID = "9900000"
USERNAME = "api-user"
PASSWORD = "bandwidth-password-not-a-real-one"
APPLICATION_ID = "93de2206-9669-4e07-948d-329f4b722ee2"
CALLBACK_USER, CALLBACK_PASSWORD = "callback-user", "callback-password-not-real"

_PATH = re.compile(r"^/api/v2/users/([^/]+)/messages$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def error(status: int, kind: str, description: str, field_name: str | None = None) -> web.Response:
    body: dict[str, Any] = {"type": kind, "description": description}
    if field_name:
        body["fieldErrors"] = [{"fieldName": field_name, "description": description}]
    return web.json_response(body, status=status)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


@dataclass
class BandwidthEmulator(EmulatorBase):
    """One Bandwidth account: its API user, what it delivered, and the failures it is told to give."""

    account_id: str = ACCOUNT_ID
    username: str = USERNAME
    password: str = PASSWORD
    application_id: str = APPLICATION_ID
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account's application, sending from a test number."""
        base = {"account_id": self.account_id, "username": self.username, "password": self.password}
        return {**base, "application_id": self.application_id, "from": "+19195550100", "endpoint": self.endpoint,
                **overrides}  # fmt: skip

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that check this emulator's callback credentials."""
        return {"callback_username": CALLBACK_USER, "callback_password": CALLBACK_PASSWORD}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [{"phone": d["to"][0], "from": d["from"], "text": d["text"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse every message to ``phone`` (E.164) as an invalid destination."""
        self.failures.add(phone)

    async def handle(self, request: Received) -> web.StreamResponse:
        match = _PATH.match(request.path)
        if match is None or request.method != "POST":
            return error(404, "not-found", "Resource not found")
        if not self._authenticated(request.headers.get("authorization", "")):
            return error(401, "unauthorized", "Authentication failed")
        if match.group(1) != self.account_id:
            return error(403, "forbidden", "The user may not use this account")
        if self.throttles:
            self.throttles -= 1
            return error(429, "max-message-queue-size-exceeded", "The message queue is full")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "request-validation", "The body is not valid JSON")
        problem = self._invalid(body)
        if problem is not None:
            return error(400, "request-validation", problem[1], problem[0])
        return self._deliver(body)

    def _authenticated(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return scheme == "Basic" and user == self.username and secrets.compare_digest(password, self.password)

    def _invalid(self, body: Any) -> tuple[str, str] | None:
        if not isinstance(body, dict):
            return "body", "must be a JSON object"
        if body.get("applicationId") != self.application_id:
            return "applicationId", "is not an application of this account"
        to = body.get("to")
        if not isinstance(to, list) or not to or not all(isinstance(n, str) and _E164.match(n) for n in to):
            return "to", "must be E.164 numbers"
        if not isinstance(body.get("from"), str) or not _E164.match(body["from"]):
            return "from", "must be an E.164 number of the application"
        if not isinstance(body.get("text"), str) or not body["text"]:
            return "text", "is required"
        if set(to) & self.failures:
            return "to", f"{sorted(set(to) & self.failures)[0]} is not a valid destination"
        return None

    def _deliver(self, body: dict[str, Any]) -> web.Response:
        ident = f"{int(time.time() * 1000)}{secrets.token_hex(8)}"
        self.delivered.append({**body, "id": ident})
        reply = {"id": ident, "owner": body["from"], "applicationId": body["applicationId"], "time": _now(),
                 "segmentCount": 1, "direction": "out", "to": body["to"], "from": body["from"], "text": body["text"],
                 "tag": body.get("tag"), "priority": "default"}  # fmt: skip
        return web.Response(status=202, text=json.dumps(reply), content_type="application/json")

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One JSON array of ``message-delivered`` (or ``message-failed``) events, with the callback credentials."""
        kind = "message-delivered" if delivered else "message-failed"
        events = [
            {"time": _now(), "eventTime": _now(), "type": kind, "to": d["to"][0],
             "description": "ok" if delivered else "rejected-unallocated-to-number",
             "message": {"id": d["id"], "owner": d["from"], "applicationId": d["applicationId"], "time": _now(),
                         "segmentCount": 1, "direction": "out", "to": d["to"], "from": d["from"], "text": ""},
             **({} if delivered else {"errorCode": 4301})}
            for d in deliveries
        ]  # fmt: skip
        basic = base64.b64encode(f"{CALLBACK_USER}:{CALLBACK_PASSWORD}".encode()).decode()
        headers = {"Content-Type": "application/json", "Authorization": f"Basic {basic}"}
        return [Outgoing("POST", url, headers, json.dumps(events).encode())]
