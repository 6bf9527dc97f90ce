"""A Ronglian (Cloopen) template SMS API on loopback, checking ``sig`` and ``Authorization`` as Cloopen does.

``POST /2013-12-26/Accounts/{accountSid}/SMS/TemplateSMS?sig=…``: the timestamp in ``Authorization``
(``base64(accountSid:timestamp)``, Beijing time) must lie within an hour and ``sig`` must be
``UPPER(MD5(accountSid + authToken + timestamp))``. Answers ``{"statusCode": "000000", "templateSMS":
{"dateCreated", "smsMessageSid"}}`` or ``{"statusCode", "statusMsg"}``: ``111109`` bad signature,
``160032`` no such template, ``112310`` a bad number, ``160038`` too often. Cloopen's push format is
not documented well enough to emulate: no receipts. Knobs: :meth:`RonglianEmulator.limit`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from .server import Received

ACCOUNT_SID = "8a216da8000000000000000000000001"
AUTH_TOKEN = "ronglian-auth-token-not-real0001"
APP_ID = "8a216da8000000000000000000000002"
_PATH = re.compile(r"^/2013-12-26/Accounts/([^/]+)/SMS/TemplateSMS$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_BEIJING = timezone(timedelta(hours=8))


def status(code: str, message: str = "", **extra: Any) -> web.Response:
    return web.json_response({"statusCode": code, "statusMsg": message, **extra})


@dataclass
class RonglianEmulator(EmulatorBase):
    """One Cloopen account: its token, its application, what it delivered."""

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    app_id: str = APP_ID
    limits: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account's application."""
        return {"account_sid": self.account_sid, "auth_token": self.auth_token, "app_id": self.app_id,
                "endpoint": self.endpoint, **overrides}  # fmt: skip

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": "+86" + d["to"], "template": d["templateId"], "params": d["datas"]} for d in self.delivered]

    def limit(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 160038 (too often; nothing delivered)."""
        self.limits += times

    async def handle(self, request: Received) -> web.StreamResponse:
        match = _PATH.match(request.path)
        if match is None or request.method != "POST":
            return web.Response(status=404, text="not found")
        if not self._signed(request, match.group(1)):
            return status("111109", "sig check failed")
        if self.limits:
            self.limits -= 1
            return status("160038", "短信验证码发送过频繁")
        try:
            body = json.loads(request.body)
            numbers, template, datas = str(body["to"]).split(","), str(body["templateId"]), body.get("datas") or []
        except (ValueError, KeyError, TypeError):
            return status("112300", "invalid request body")
        if body.get("appId") != self.app_id or not template:
            return status("160032", "template invalid")
        if not all(_MOBILE.match(n) for n in numbers) or len(numbers) > 200:
            return status("112310", "receiving number invalid")
        sid = secrets.token_hex(16)
        for number in numbers:
            self.delivered.append({"to": number, "templateId": template, "datas": [str(d) for d in datas], "sid": sid})
        created = datetime.now(_BEIJING).strftime("%Y%m%d%H%M%S")
        return status("000000", templateSMS={"dateCreated": created, "smsMessageSid": sid})

    def _signed(self, request: Received, account: str) -> bool:
        try:
            user, _, stamp = (
                base64.b64decode(request.headers.get("authorization", ""), validate=True).decode().partition(":")
            )
            sent = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=_BEIJING).timestamp()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        sig = dict(pair.split("=", 1) for pair in request.raw_query.split("&") if "=" in pair).get("sig", "")
        expected = hashlib.md5(f"{self.account_sid}{self.auth_token}{stamp}".encode()).hexdigest().upper()
        fresh = abs(time.time() - sent) <= 3600
        return user == account == self.account_sid and fresh and secrets.compare_digest(sig, expected)
