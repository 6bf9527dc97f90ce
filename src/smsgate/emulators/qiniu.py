"""A Qiniu SMS API on loopback, checking the ``Qiniu`` MAC signature as Qiniu does.

``POST /v1/message`` (``mobiles``, answers ``{"job_id"}``) and ``POST /v1/message/oversea``
(``mobile``, answers ``{"message_id"}``), JSON bodies. The signature is the urlsafe base64 HMAC-SHA1 of
``METHOD path``, ``Host``, ``Content-Type``, the ``X-Qiniu-*`` headers and the body. Errors as Qiniu
gives them: ``401 BadToken``, ``400 InvalidQueryValue`` / ``MalformedJSON``, ``429`` when throttled.
Delivery reports are pushed as ``{"items": [...]}``. Knobs: :meth:`QiniuEmulator.throttle`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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

ACCESS_KEY = "qiniu-access-key"
SECRET_KEY = "qiniu-secret-key-not-a-real-one"
_MAINLAND = re.compile(r"^1\d{10}$")
_ABROAD = re.compile(r"^\+[1-9]\d{6,14}$")


def error(status: int, name: str, message: str) -> web.Response:
    return web.json_response({"error": name, "message": message, "request_id": uuid.uuid4().hex[:16]}, status=status)


def expected_token(secret: str, request: Received) -> str:
    """The urlsafe base64 HMAC-SHA1 Qiniu expects for ``request``."""
    headers = {k.title(): v for k, v in request.headers.items()}
    text = f"{request.method} {request.path}" + (f"?{request.raw_query}" if request.raw_query else "")
    text += f"\nHost: {headers.get('Host', '')}"
    content_type = headers.get("Content-Type", "")
    if content_type:
        text += f"\nContent-Type: {content_type}"
    for name in sorted(k for k in headers if k.startswith("X-Qiniu-")):
        text += f"\n{name}: {headers[name]}"
    data = (text + "\n\n").encode()
    if content_type and content_type != "application/octet-stream":
        data += request.body
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), data, hashlib.sha1).digest()).decode()


@dataclass
class QiniuEmulator(EmulatorBase):
    """One Qiniu account: its keys, what it delivered, and the failures it is told to give."""

    keys: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY: SECRET_KEY})
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"access_key": ACCESS_KEY, "secret_key": self.keys[ACCESS_KEY], "signature_id": "sig-1",
                "endpoint": self.endpoint, **overrides}  # fmt: skip

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: Qiniu does not sign, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": d["phone"], "template": d["template"], "params": d["params"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with HTTP 429 (nothing delivered)."""
        self.throttles += times

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.method != "POST" or request.path not in ("/v1/message", "/v1/message/oversea"):
            return error(404, "NotFoundError", "not found")
        authorization = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        scheme, _, credential = authorization.partition(" ")
        access, _, token = credential.partition(":")
        secret = self.keys.get(access)
        if scheme != "Qiniu" or secret is None or not secrets.compare_digest(token, expected_token(secret, request)):
            return error(401, "BadToken", "Your authorization token is invalid")
        if self.throttles:
            self.throttles -= 1
            return error(429, "TooManyRequests", "too many requests")
        try:
            body = json.loads(request.body)
        except ValueError:
            return error(400, "MalformedJSON", "malformed json")
        abroad = request.path.endswith("/oversea")
        phones = [body.get("mobile")] if abroad else body.get("mobiles")
        pattern = _ABROAD if abroad else _MAINLAND
        if not isinstance(phones, list) or not phones or not all(pattern.match(str(p)) for p in phones):
            return error(400, "InvalidQueryValue", "invalid mobiles")
        if not body.get("template_id") or not isinstance(body.get("parameters", {}), dict):
            return error(400, "InvalidQueryValue", "invalid template_id or parameters")
        job = uuid.uuid4().hex
        for phone in phones:
            self.delivered.append({"phone": phone if abroad else "+86" + phone, "mobile": phone, "job": job,
                                   "id": uuid.uuid4().hex, "template": body["template_id"],
                                   "params": body.get("parameters", {}), "seq": body.get("seq")})  # fmt: skip
        return web.json_response({"message_id": self.delivered[-1]["id"]} if abroad else {"job_id": job})

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One push of every report, as Qiniu batches them in ``items``."""
        items = [
            {"mobile": d["mobile"], "message_id": d["id"], "job_id": d["job"], "seq": d["seq"],
             "status": "DELIVRD" if delivered else "FAILED", "delivrd_at": int(time.time()),
             **({} if delivered else {"error": "601"})}
            for d in deliveries
        ]  # fmt: skip
        body = json.dumps({"items": items}).encode()
        return [Outgoing("POST", url, {"Content-Type": "application/json"}, body)]
