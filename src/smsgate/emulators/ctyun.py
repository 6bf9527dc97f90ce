"""A Ctyun SMS API on loopback, checking the EOP signature as Ctyun does.

``POST /sms/api/v1`` with a JSON body (``action: SendSms``, ``phoneNumber``, ``signName``,
``templateCode``, ``templateParam`` as a JSON string). ``Eop-Authorization`` must be the base64
HMAC-SHA256 of request id, ``Eop-date``, query and body hash, keyed by the date → access key → day
chain; the date must lie within 15 minutes of now read as UTC or as Beijing time (Ctyun's SDK sends
local time labelled ``Z``). Answers ``{"code": "OK", "message", "requestId"}``; ``401`` for bad
credentials; ``{"code": "FAIL"}`` for bad input; ``429`` when throttled. Ctyun documents no receipts.
Knobs: :meth:`CtyunEmulator.throttle`, :meth:`CtyunEmulator.fail_phone`.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from .server import Received

ACCESS_KEY = "ctyun-access-key"
SECRET_KEY = "ctyun-secret-key-not-a-real-one"
_NUMBER = re.compile(r"^1\d{10}$|^\+[1-9]\d{6,14}$")
_AUTH = re.compile(r"^(\S+) Headers=ctyun-eop-request-id;eop-date Signature=(\S+)$")


def answer(code: str, message: str, status: int = 200) -> web.Response:
    return web.json_response({"code": code, "message": message, "requestId": uuid.uuid4().hex}, status=status)


def expected_signature(secret: str, access: str, request_id: str, eop_date: str, request: Received) -> str:
    """Ctyun's EOP signature of ``request`` (base64)."""
    query = "&".join(sorted(f"{k}={v}" for k, v in request.query))
    digest = hashlib.sha256(request.body).hexdigest()
    text = f"ctyun-eop-request-id:{request_id}\neop-date:{eop_date}\n\n{query}\n{digest}".encode()
    key = secret.encode()
    for part in (eop_date, access, eop_date[:8]):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return base64.b64encode(hmac.new(key, text, hashlib.sha256).digest()).decode()


def _fresh(eop_date: str, now: float) -> bool:
    try:
        when = calendar.timegm(time.strptime(eop_date, "%Y%m%dT%H%M%SZ"))
    except ValueError:
        return False
    return any(abs(when - offset - now) <= 900 for offset in (0, 8 * 3600))


@dataclass
class CtyunEmulator(EmulatorBase):
    """One Ctyun account: its keys, what it delivered, and the failures it is told to give."""

    keys: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY: SECRET_KEY})
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"access_key": ACCESS_KEY, "secret_key": self.keys[ACCESS_KEY], "sign_name": "天翼云",
                "endpoint": self.endpoint, **overrides}  # fmt: skip

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": d["phone"], "template": d["template"], "params": d["params"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with HTTP 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Answer ``{"code": "FAIL"}`` for ``phone`` (as sent: national or ``+cc…``)."""
        self.failures.add(phone)

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.method != "POST" or request.path != "/sms/api/v1":
            return answer("NOT_FOUND", "not found", 404)
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = _AUTH.match(headers.get("eop-authorization", ""))
        eop_date, request_id = headers.get("eop-date", ""), headers.get("ctyun-eop-request-id", "")
        secret = self.keys.get(match[1]) if match else None
        if match is None or secret is None or not request_id or not _fresh(eop_date, time.time()):
            return answer("UNAUTHORIZED", "authentication failed", 401)
        if not secrets.compare_digest(match[2], expected_signature(secret, match[1], request_id, eop_date, request)):
            return answer("UNAUTHORIZED", "signature does not match", 401)
        if self.throttles:
            self.throttles -= 1
            return answer("THROTTLED", "too many requests", 429)
        try:
            body = json.loads(request.body)
            params = json.loads(body.get("templateParam") or "{}")
        except (ValueError, AttributeError):
            return answer("FAIL", "invalid body")
        phone = str(body.get("phoneNumber") or "")
        if (
            body.get("action") != "SendSms"
            or not body.get("templateCode")
            or not _NUMBER.match(phone)
            or phone in self.failures
        ):
            return answer("FAIL", "invalid parameters")
        ident = uuid.uuid4().hex
        self.delivered.append({"phone": phone if phone.startswith("+") else "+86" + phone, "id": ident,
                               "template": body["templateCode"], "params": params})  # fmt: skip
        return web.json_response({"code": "OK", "message": "success", "requestId": ident})
