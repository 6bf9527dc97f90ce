"""A JD Cloud SMS API on loopback, checking ``JDCLOUD3-HMAC-SHA256`` signatures as JD Cloud does.

``POST /v1/regions/{region}/batchSend`` with a JSON body (``templateId``, ``signId``, ``phoneList``,
``params``). The signature is recomputed over the headers the ``Authorization`` header lists
(``host`` among them); the date comes from ``x-jdcloud-date``. Answers ``{"requestId", "result":
{"status": true, "code": "200", "data": {"sequenceNumber"}}}``; ``401`` ``UNAUTHENTICATED`` for bad
credentials, ``400`` ``INVALID_ARGUMENT`` for bad input, ``429`` when throttled, and
``result.status`` false for a refused number. JD Cloud has no receipt push: reports are pulled,
``POST …/statusReport`` (``sequenceNumber``, ``phoneList``) and ``POST …/reply`` (``appId``,
``dataDate``), signed and checked the same way. Knobs: :meth:`JdCloudEmulator.throttle`,
:meth:`JdCloudEmulator.fail_phone`, :meth:`JdCloudEmulator.report` (a number's status),
:meth:`JdCloudEmulator.reply` (an inbound message).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from ._base import EmulatorBase
from .server import Received

ACCESS_KEY = "jdcloud-access-key"
SECRET_KEY = "jdcloud-secret-key-not-a-real-one"
_PATH = re.compile(r"^/v1/regions/([a-z0-9-]+)/(batchSend|statusReport|reply)$")
_TIME = "%Y-%m-%d %H:%M:%S"
APP_ID = "jd-app-1"
_NUMBER = re.compile(r"^1\d{10}$")
_AUTH = re.compile(r"^JDCLOUD3-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/sms/jdcloud3_request, "
                   r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")  # fmt: skip


def ok(data: Any) -> web.Response:
    result = {"status": True, "code": "200", "message": "OK", "data": data}
    return web.json_response({"requestId": uuid.uuid4().hex, "result": result}, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def error(status: int, name: str, message: str) -> web.Response:
    body = {"requestId": uuid.uuid4().hex, "error": {"status": name, "code": status, "message": message}}
    return web.json_response(body, status=status)


def expected_signature(secret: str, request: Received, signed: list[str], region: str) -> str:
    """JD Cloud's signature of ``request`` over the ``signed`` headers."""
    headers = {k.lower(): v.strip() for k, v in request.headers.items()}
    query = "&".join(sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in request.query))
    lines = "".join(f"{n}:{headers.get(n, '')}\n" for n in signed)
    path = quote(re.sub("/+", "/", request.path or "/"), safe="/-_.~")
    digest = hashlib.sha256(request.body).hexdigest()
    canonical = f"{request.method}\n{path}\n{query}\n{lines}\n{';'.join(signed)}\n{digest}"
    x_date = headers.get("x-jdcloud-date", "")
    scope = f"{x_date[:8]}/{region}/sms/jdcloud3_request"
    to_sign = "\n".join(["JDCLOUD3-HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("JDCLOUD3" + secret).encode()
    for part in (x_date[:8], region, "sms", "jdcloud3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class JdCloudEmulator(EmulatorBase):
    """One JD Cloud account: its keys, what it delivered, and the failures it is told to give."""

    keys: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY: SECRET_KEY})
    failures: set[str] = field(default_factory=set)
    throttles: int = 0
    statuses: dict[str, tuple[str, str]] = field(default_factory=dict)  # national phone → (status, code)
    replies: list[dict[str, str]] = field(default_factory=list)
    clock: Callable[[], float] = time.time

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"access_key_id": ACCESS_KEY, "secret_access_key": self.keys[ACCESS_KEY], "sign_id": "sign-1",
                "app_id": APP_ID, "endpoint": self.endpoint, **overrides}  # fmt: skip

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": d["phone"], "template": d["template"], "params": d["params"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with HTTP 429 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse any request naming ``phone`` (national) with ``result.status`` false."""
        self.failures.add(phone)

    def report(self, phone: str, status: str = "DELIVRD", code: str = "") -> None:
        """What ``statusReport`` says of ``phone`` (national): delivered by default; ``""`` for not
        yet known, another status (with ``code``) for a failure."""
        self.statuses[phone] = (status, code)

    def reply(self, phone: str, content: str, when: float | None = None) -> None:
        """An inbound message from ``phone`` (national) that ``reply`` lists for its day."""
        stamp = time.strftime(_TIME, time.gmtime((self.clock() if when is None else when) + 8 * 3600))
        self.replies.append({"appId": APP_ID, "signId": "sign-1", "phoneNum": phone, "dataTime": stamp,
                             "content": content})  # fmt: skip

    async def handle(self, request: Received) -> web.StreamResponse:
        path = _PATH.match(request.path)
        if request.method != "POST" or path is None:
            return error(404, "NOT_FOUND", "not found")
        if not self._authentic(request, path[1]):
            return error(401, "UNAUTHENTICATED", "signature does not match")
        if self.throttles:
            self.throttles -= 1
            return error(429, "TOO_MANY_REQUESTS", "rate limited")
        try:
            body = json.loads(request.body)
            if path[2] != "batchSend":
                return self._query(path[2], body)
            phones, params = list(body["phoneList"]), list(body.get("params") or [])
        except (ValueError, KeyError, TypeError, AttributeError):
            return error(400, "INVALID_ARGUMENT", "phoneList is required")
        if not body.get("templateId") or not body.get("signId") or not phones or len(phones) > 100:
            return error(400, "INVALID_ARGUMENT", "templateId, signId and 1 to 100 phones are required")
        refused = [p for p in phones if not _NUMBER.match(str(p)) or p in self.failures]
        if refused:
            result = {"status": False, "code": "10010", "message": "手机号码无效"}
            return web.json_response({"requestId": uuid.uuid4().hex, "result": result})
        sequence = uuid.uuid4().hex
        for phone in phones:
            self.delivered.append({"phone": "+86" + phone, "template": body["templateId"], "params": params,
                                   "sequence": sequence, "at": self.clock()})  # fmt: skip
        return ok({"sequenceNumber": sequence})

    def _query(self, action: str, body: dict[str, Any]) -> web.Response:
        if action == "reply":
            if body.get("appId") != APP_ID or not isinstance(body.get("dataDate"), str):
                return error(400, "INVALID_ARGUMENT", "appId and dataDate are required")
            return ok([r for r in self.replies if r["dataTime"].startswith(body["dataDate"])])
        sequence, wanted = body["sequenceNumber"], body.get("phoneList")
        if not isinstance(sequence, str) or not sequence:
            return error(400, "INVALID_ARGUMENT", "sequenceNumber is required")
        found = [d for d in self.delivered if d["sequence"] == sequence]
        return ok([self._status(d) for d in found if not wanted or d["phone"].removeprefix("+86") in wanted])

    def _status(self, delivery: dict[str, Any]) -> dict[str, Any]:
        phone = delivery["phone"].removeprefix("+86")
        status, code = self.statuses.get(phone, ("DELIVRD", ""))
        sent = time.strftime(_TIME, time.gmtime(delivery["at"] + 8 * 3600))
        return {"phoneNum": phone, "sequenceNumber": delivery["sequence"], "sendTime": sent,
                "reportTime": sent if status else "", "status": status, "code": code, "splitNum": 1}  # fmt: skip

    def _authentic(self, request: Received, region: str) -> bool:
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = _AUTH.match(headers.get("authorization", ""))
        if match is None or match[1] not in self.keys or match[3] != region:
            return False
        signed = match[4].split(";")
        if "host" not in signed or match[2] != headers.get("x-jdcloud-date", "")[:8]:
            return False
        return secrets.compare_digest(match[5], expected_signature(self.keys[match[1]], request, signed, region))
