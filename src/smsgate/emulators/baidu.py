"""A Baidu Cloud SMS v3 API on loopback, checking ``bce-auth-v1`` signatures as Baidu does.

``POST /api/v3/sendSms`` with a JSON body (``mobile`` comma-separated, ``template``, ``signatureId``,
``contentVar``). The signature is recomputed over the headers the ``Authorization`` header lists
(``host`` and ``x-bce-date`` must be among them). Answers ``{"requestId", "code": "1000", "message",
"data": [{"code", "message", "mobile", "messageId"}]}``; ``401`` with code ``6002`` for bad
credentials, ``400`` with a ``45xx`` code for bad input, ``429`` when throttled. A ``clientToken``
seen before gets the first answer again and delivers nothing. Delivery reports are pushed signed
``md5(token + timestamp + body)``. Knobs: :meth:`BaiduEmulator.throttle`, :meth:`BaiduEmulator.fail_phone`.
"""

from __future__ import annotations

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
from urllib.parse import quote

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

ACCESS_KEY = "baidu-access-key"
SECRET_KEY = "baidu-secret-key-not-a-real-one"
ACCOUNT_ID = "baidu-account-id-0001"
_NUMBER = re.compile(r"^(1\d{10}|\+[1-9]\d{6,14})$")
_AUTH = re.compile(r"^bce-auth-v1/([^/]+)/([^/]+)/(\d+)/([^/]*)/([0-9a-f]{64})$")


def answer(status: int, code: str, message: str, **extra: Any) -> web.Response:
    body = {"requestId": str(uuid.uuid4()), "code": code, "message": message, **extra}
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _enc(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


def expected_signature(secret: str, prefix: str, request: Received, signed: list[str]) -> str:
    """Baidu's signature of ``request`` over the ``signed`` headers, with the key derived from ``prefix``."""
    signing_key = hmac.new(secret.encode(), prefix.encode(), hashlib.sha256).hexdigest()
    query = sorted(f"{_enc(k)}={_enc(v)}" for k, v in request.query if k.lower() != "authorization")
    headers = {k.lower(): v.strip() for k, v in request.headers.items()}
    lines = sorted(f"{_enc(n)}:{_enc(headers[n])}" for n in signed if headers.get(n))
    canonical = "\n".join([request.method, _enc(request.path, "/-_.~"), "&".join(query), "\n".join(lines)])
    return hmac.new(signing_key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


@dataclass
class BaiduEmulator(EmulatorBase):
    """One Baidu Cloud account: its keys, what it delivered, and the failures it is told to give."""

    keys: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY: SECRET_KEY})
    account_id: str = ACCOUNT_ID
    failures: dict[str, str] = field(default_factory=dict)
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"access_key_id": ACCESS_KEY, "secret_access_key": self.keys[ACCESS_KEY],
                "signature_id": "sms-sign-test", "endpoint": self.endpoint, **overrides}  # fmt: skip

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this account's pushes."""
        return {"token": self.account_id}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": d["phone"], "template": d["template"], "params": d["params"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with HTTP 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str, code: str = "4641") -> None:
        """Refuse ``phone`` (as sent: national or ``+cc…``) with ``code`` (default: on a blacklist)."""
        self.failures[phone] = code

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.method != "POST" or request.path != "/api/v3/sendSms":
            return web.Response(status=404, text="not found")
        if not self._authentic(request):
            return answer(401, "6002", "鉴权失败")
        if self.throttles:
            self.throttles -= 1
            return web.Response(status=429, text="Too Many Requests")
        token = dict(request.query).get("clientToken")
        if token and token in self.answered:
            return web.json_response(self.answered[token])
        try:
            body = json.loads(request.body)
        except ValueError:
            return answer(400, "4505", "参数格式错误")
        if not isinstance(body, dict) or not all(body.get(k) for k in ("mobile", "template", "signatureId")):
            return answer(400, "4502", "缺少必要参数")
        if not isinstance(body.get("contentVar") or {}, dict):
            return answer(400, "4506", "参数类型错误")
        phones = str(body["mobile"]).split(",")
        if len(phones) > 200:
            return answer(400, "4511", "手机号码数量超过限制")
        rows = [self._deliver(phone, body) for phone in phones]
        data = {"requestId": str(uuid.uuid4()), "code": "1000", "message": "成功", "data": rows}
        if token:
            self.answered[token] = data
        return web.json_response(data, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _authentic(self, request: Received) -> bool:
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = _AUTH.match(headers.get("authorization", ""))
        if match is None or match[1] not in self.keys or match[2] != headers.get("x-bce-date"):
            return False
        signed = match[4].split(";")
        if not {"host", "x-bce-date"} <= set(signed):
            return False
        prefix = f"bce-auth-v1/{match[1]}/{match[2]}/{match[3]}"
        return secrets.compare_digest(match[5], expected_signature(self.keys[match[1]], prefix, request, signed))

    def _deliver(self, phone: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if not _NUMBER.match(phone):
            return {"code": "4503", "message": "手机号码格式错误", "mobile": phone}
        if phone in self.failures:
            return {"code": self.failures[phone], "message": "号码在黑名单中", "mobile": phone}
        ident = f"{uuid.uuid4()}_{phone}"
        e164 = phone if phone.startswith("+") else "+86" + phone
        self.delivered.append({"phone": e164, "mobile": phone, "template": body["template"],
                               "params": dict(body.get("contentVar") or {}), "messageId": ident,
                               "custom": body.get("custom")})  # fmt: skip
        return {"code": "1000", "message": "成功", "mobile": phone, "messageId": ident}

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One signed push per delivery, as Baidu sends its status callbacks."""
        out = []
        for d in deliveries:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            body = json.dumps({"code": "0" if delivered else "2", "requestId": str(uuid.uuid4()),
                               "messageId": d["messageId"], "mobile": d["mobile"],
                               "carrierCode": "DELIVRD" if delivered else "B:00010", "custom": d["custom"],
                               "attemptCount": 1, "segmentCount": 1, "deliverTime": stamp,
                               "requestTime": stamp}).encode()  # fmt: skip
            now = str(int(time.time() * 1000))
            signature = hashlib.md5(self.account_id.encode() + now.encode() + body).hexdigest()
            headers = {"Content-Type": "application/json;charset=utf-8", "requestId": str(uuid.uuid4()),
                       "timestamp": now, "signature": signature}  # fmt: skip
            out.append(Outgoing("POST", url, headers, body))
        return out
