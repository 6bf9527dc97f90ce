"""A NetEase Yunxin SMS API on loopback, checking the checksum as Yunxin does.

``POST /sms/sendtemplate.action`` with ``AppKey``, ``Nonce``, ``CurTime`` (within 5 minutes) and
``CheckSum`` (hex SHA-1 of the app secret, nonce and time). Answers ``{"code": 200, "msg": "sendid",
"obj": <id>}``, or ``{"code": 414, "msg": "checksum"}`` for a bad checksum, ``416`` when throttled,
``414`` for bad parameters (HTTP 200 always). Receipts go out as Yunxin copies them (抄送): JSON with
``MD5`` and ``CheckSum`` headers. Knobs: :meth:`NeteaseEmulator.throttle`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

APP_KEY = "netease-app-key"
APP_SECRET = "netease-app-secret-not-real"
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def answer(code: int, msg: str, obj: Any = None) -> web.Response:
    body: dict[str, Any] = {"code": code, "msg": msg}
    if obj is not None:
        body["obj"] = obj
    return web.json_response(body)


@dataclass
class NeteaseEmulator(EmulatorBase):
    """One Yunxin application: its secret, what it delivered, and the failures it is told to give."""

    app_key: str = APP_KEY
    app_secret: str = APP_SECRET
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this application."""
        return {"app_key": self.app_key, "app_secret": self.app_secret, "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this application's copies."""
        return {"app_key": self.app_key, "app_secret": self.app_secret}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [
            {"phone": "+86" + d["mobile"], "template": d["templateid"], "params": d["params"]} for d in self.delivered
        ]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with code 416 (nothing delivered)."""
        self.throttles += times

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/sms/sendtemplate.action" or request.method != "POST":
            return web.Response(status=404, text="not found")
        h = request.headers
        now = h.get("curtime", "")
        fresh = now.isdigit() and abs(time.time() - int(now)) <= 300
        expected = hashlib.sha1(f"{self.app_secret}{h.get('nonce', '')}{now}".encode()).hexdigest()
        if h.get("appkey") != self.app_key or not fresh or not secrets.compare_digest(h.get("checksum", ""), expected):
            return answer(414, "checksum")
        if self.throttles:
            self.throttles -= 1
            return answer(416, "frequency control")
        try:
            form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
            mobiles, params = json.loads(form["mobiles"]), json.loads(form.get("params") or "[]")
        except (UnicodeDecodeError, ValueError, KeyError):
            return answer(414, "parameter error")
        if not form.get("templateid") or not isinstance(mobiles, list) or not 1 <= len(mobiles) <= 100:
            return answer(414, "parameter error")
        if not all(isinstance(m, str) and _MOBILE.match(m) for m in mobiles):
            return answer(414, "mobiles error")
        send_id = secrets.randbelow(10**9)
        for mobile in mobiles:
            self.delivered.append(
                {"mobile": mobile, "templateid": form["templateid"], "params": params, "sendid": send_id}
            )
        return answer(200, "sendid", send_id)

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A copy (抄送, eventType 11) for each delivery, signed as Yunxin signs them."""
        out = []
        for d in deliveries:
            body = json.dumps({"eventType": "11", "mobile": d["mobile"], "sendid": str(d["sendid"]),
                               "result": "DELIVRD" if delivered else "UNDELIV",
                               "reportTime": str(int(time.time() * 1000))}).encode()  # fmt: skip
            md5, now = hashlib.md5(body).hexdigest(), str(int(time.time()))
            checksum = hashlib.sha1(f"{self.app_secret}{md5}{now}".encode()).hexdigest()
            headers = {"Content-Type": "application/json", "AppKey": self.app_key, "CurTime": now, "MD5": md5,
                       "CheckSum": checksum}  # fmt: skip
            out.append(Outgoing("POST", url, headers, body))
        return out
