"""A Plivo Message API on loopback, checking credentials and fields as Plivo does.

``POST /v1/Account/{auth_id}/Message/`` with HTTP Basic auth (the auth id in the path must be the
authenticated account) and a JSON body. ``dst`` holds one or more numbers joined by ``<``; one
invalid number fails the whole request with 400 and nothing is sent. Answers 202 with
``{"api_id", "message": "message(s) queued", "message_uuid": [one per destination]}``, or
``{"api_id", "error"}``. Knobs: :meth:`PlivoEmulator.throttle`, :meth:`PlivoEmulator.fail_phone`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

AUTH_ID = "MA" + "A1B2C3D4E5" * 2
AUTH_TOKEN = "plivo-auth-token-not-a-real-one"

_PATH = re.compile(r"^/v1/Account/([^/]+)/Message/$")
_NUMBER = re.compile(r"^\+?[1-9][0-9]{6,14}$")


def error(status: int, message: str) -> web.Response:
    return web.json_response({"api_id": str(uuid.uuid4()), "error": message}, status=status)


@dataclass
class PlivoEmulator(EmulatorBase):
    """One Plivo account: its credentials, what it delivered, and the failures it is told to give."""

    auth_id: str = AUTH_ID
    auth_token: str = AUTH_TOKEN
    failures: dict[str, str] = field(default_factory=dict)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings that authenticate with this account, sending from a test number."""
        return {
            "auth_id": self.auth_id,
            "auth_token": self.auth_token,
            "from": "+14155550100",
            "endpoint": self.endpoint,
            **overrides,
        }

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per destination, without credentials."""
        return [{"phone": d["dst"], "from": d["src"], "text": d["text"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str, message: str | None = None) -> None:
        """Refuse any request with ``phone`` (E.164) among its destinations, as an invalid number."""
        self.failures[phone.removeprefix("+")] = message or f"invalid dst number {phone}"

    async def handle(self, request: Received) -> web.StreamResponse:
        match = _PATH.match(request.path)
        if match is None:
            return error(404, "not found")
        if request.method != "POST":
            return error(405, "method not allowed")
        if not self._authenticated(request.headers.get("authorization", ""), match.group(1)):
            return error(401, "authentication failed")
        if self.throttles:
            self.throttles -= 1
            return error(429, "too many requests")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "invalid JSON body")
        if not isinstance(body, dict):
            return error(400, "invalid JSON body")
        problem = self._invalid(body)
        if problem is not None:
            return error(400, problem)
        return self._deliver(body)

    def _authenticated(self, header: str, path_id: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.auth_id == path_id and secrets.compare_digest(password, self.auth_token)

    def _invalid(self, body: dict[str, Any]) -> str | None:
        src, powerpack = body.get("src"), body.get("powerpack_uuid")
        if bool(src) == bool(powerpack):
            return "either src or powerpack_uuid must be given"
        dst, text = body.get("dst"), body.get("text")
        if not isinstance(dst, str) or not dst:
            return "dst is required"
        if not isinstance(text, str) or not text:
            return "text is required"
        numbers = dst.split("<")
        if len(numbers) > 1000:
            return "too many destinations"
        for number in numbers:
            if not _NUMBER.match(number):
                return f"invalid dst number {number}"
            if number.removeprefix("+") in self.failures:
                return self.failures[number.removeprefix("+")]
        if src and src.removeprefix("+") in {n.removeprefix("+") for n in numbers}:
            return "src and dst cannot be the same"
        return None

    def _deliver(self, body: dict[str, Any]) -> web.Response:
        uuids = []
        for number in body["dst"].split("<"):
            message_uuid = str(uuid.uuid4())
            uuids.append(message_uuid)
            sender = body.get("src") or body.get("powerpack_uuid")
            self.delivered.append({**body, "dst": "+" + number.removeprefix("+"), "src": sender, "uuid": message_uuid})
        reply = {"api_id": str(uuid.uuid4()), "message": "message(s) queued", "message_uuid": uuids}
        return web.Response(status=202, text=json.dumps(reply), content_type="application/json")

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this emulator's pushes."""
        return {"auth_token": self.auth_token}

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A signed delivery report POSTed to ``url`` for each delivery, as Plivo calls a message's ``url``."""
        out = []
        for d in deliveries:
            fields = {
                "MessageUUID": d["uuid"],
                "From": str(d["src"]),
                "To": d["dst"].removeprefix("+"),
                "Status": "delivered" if delivered else "undelivered",
                "ErrorCode": "000" if delivered else "50",
                "Units": "1",
                "TotalAmount": "0.00500",
            }
            nonce = secrets.token_hex(10)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Plivo-Signature-V3": sign_v3(self.auth_token, url, fields, nonce),
                "X-Plivo-Signature-V3-Nonce": nonce,
            }
            out.append(Outgoing("POST", url, headers, urlencode(fields).encode()))
        return out


def sign_v3(auth_token: str, url: str, fields: Mapping[str, str], nonce: str) -> str:
    """Plivo's V3 webhook signature of a POST to ``url`` with form ``fields`` (the emulator's own)."""
    parts = urlsplit(url)
    query = sorted(q.split("=", 1) for q in parts.query.split("&") if "=" in q)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if query:
        base += "?" + "&".join(f"{k}={v}" for k, v in query)
    if fields:
        base += "." + "".join(k + fields[k] for k in sorted(fields))
    mac = hmac.new(auth_token.encode(), f"{base}.{nonce}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()
