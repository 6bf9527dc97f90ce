"""A Submail ``message/xsend`` API on loopback, checking the app key or the digital signature as Submail does.

``POST /message/xsend.json`` with a form body: the key in clear as ``signature``, or ``sign_type``
md5/sha1 with ``sign_version=2`` and a ``timestamp`` (Submail allows 6 s from its own clock; this
emulator a minute, for loaded test machines). Answers ``{"status": "success", "send_id", "fee", "sms_credits"}``
or ``{"status": "error", "code", "msg"}``: ``101`` bad signature or app, ``103`` stale timestamp,
``252`` a bad number, ``420`` no such project. SUBHOOK events go out signed ``md5(token + key)``.
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

APPID = "10001"
APPKEY = "submail-appkey-not-a-real-one000"
SUBHOOK_KEY = "submail-subhook-key-not-real"
_NUMBER = re.compile(r"^(1[3-9][0-9]{9}|\+[1-9][0-9]{6,14})$")
_UNSIGNED = {"signature", "vars", "content", "multi", "tag"}


def error(code: str, msg: str) -> web.Response:
    return web.json_response({"status": "error", "code": code, "msg": msg})


@dataclass
class SubmailEmulator(EmulatorBase):
    """One Submail SMS app: its key, its projects, what it delivered."""

    appid: str = APPID
    appkey: str = APPKEY
    projects: set[str] | None = None  # None takes any

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this app."""
        return {"appid": self.appid, "appkey": self.appkey, "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that verify this app's SUBHOOK events."""
        return {"subhook_key": SUBHOOK_KEY}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [{"phone": d["to"], "template": d["project"], "params": d["vars"]} for d in self.delivered]

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/message/xsend.json" or request.method != "POST":
            return web.Response(status=404, text="not found")
        try:
            form = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
            params = json.loads(form.get("vars") or "{}")
        except (UnicodeDecodeError, ValueError):
            return error("201", "invalid request")
        problem = self._unsigned(form)
        if problem is not None:
            return problem
        to, project = form.get("to", ""), form.get("project", "")
        if not _NUMBER.match(to):
            return error("252", "invalid phone number")
        if not project or (self.projects is not None and project not in self.projects):
            return error("420", "project not found")
        send_id = secrets.token_hex(16)
        self.delivered.append({"to": to if to.startswith("+") else "+86" + to, "project": project, "vars": params,
                               "send_id": send_id, "tag": form.get("tag", "")})  # fmt: skip
        reply = {"status": "success", "send_id": send_id, "fee": 1, "sms_credits": "14197"}
        return web.json_response(reply)

    def _unsigned(self, form: dict[str, str]) -> web.Response | None:
        if form.get("appid") != self.appid:
            return error("101", "incorrect app id")
        kind = form.get("sign_type", "normal")
        if kind == "normal":
            ok = secrets.compare_digest(form.get("signature", ""), self.appkey)
            return None if ok else error("101", "incorrect signature")
        stamp = form.get("timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 60:
            return error("103", "timestamp expired")
        joined = "&".join(f"{k}={v}" for k, v in sorted(form.items()) if k not in _UNSIGNED)
        text = f"{self.appid}{self.appkey}{joined}{self.appid}{self.appkey}".encode()
        digest = hashlib.md5(text).hexdigest() if kind == "md5" else hashlib.sha1(text).hexdigest()
        return (
            None if secrets.compare_digest(form.get("signature", ""), digest) else error("101", "incorrect signature")
        )

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A SUBHOOK event (``delivered`` or ``dropped``) POSTed to ``url`` for each delivery."""
        out = []
        for d in deliveries:
            token = secrets.token_hex(16)
            kind, report = ("delivered", "") if delivered else ("dropped", "MK:0001")
            event = {"events": kind, "address": d["to"].removeprefix("+86"), "app": self.appid,
                     "send_id": d["send_id"], "tag": d["tag"], "report": report,
                     "timestamp": int(time.time()), "token": token,
                     "signature": hashlib.md5(f"{token}{SUBHOOK_KEY}".encode()).hexdigest()}  # fmt: skip
            out.append(Outgoing("POST", url, {"Content-Type": "application/json"}, json.dumps(event).encode()))
        return out
