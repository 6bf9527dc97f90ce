"""A Chuanglan 253 template SMS API on loopback, checking the account and the body as 253 does.

``POST /msg/sms/v2/tpl/send`` with the API account and password in the JSON body. Answers
``{"code": "000000", "msgId", "successNum", "failNum", "errorMsg"}`` (HTTP 200 always), or a
non-zero code: ``101``/``102`` bad account or password, ``103`` too fast, ``107`` bad numbers,
``152`` no such template, ``129`` bad JSON. Delivery reports go out as the callback does, a form
POST carrying the account (``receiver``) and password (``pswd``). Knobs:
:meth:`ChuanglanEmulator.throttle`, :meth:`ChuanglanEmulator.fail_phone` (counted in ``failNum``).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

ACCOUNT = "N1234567"
PASSWORD = "chuanglan-password-not-a-real-one"
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


def answer(code: str, message: str = "", **extra: Any) -> web.Response:
    body = {"code": code, "msgId": "", "time": time.strftime("%Y%m%d%H%M%S"), "errorMsg": message, **extra}
    return web.json_response(body)


@dataclass
class ChuanglanEmulator(EmulatorBase):
    """One 253 API account: its password, what it delivered, and the failures it is told to give."""

    account: str = ACCOUNT
    password: str = PASSWORD
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"account": self.account, "password": self.password, "sign_name": "Acme", "endpoint": self.endpoint,
                **overrides}  # fmt: skip

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts` that check the account and password the callbacks carry."""
        return {"account": self.account, "password": self.password}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [
            {"phone": "+86" + d["phone"], "template": d["templateId"], "params": d["params"]} for d in self.delivered
        ]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with code 103 (nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Do not deliver to ``phone`` (E.164), counting it in ``failNum``; the other numbers go."""
        self.failures.add(phone.removeprefix("+86"))

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/msg/sms/v2/tpl/send" or request.method != "POST":
            return web.Response(status=404, text="not found")
        try:
            body = json.loads(request.body)
            params = json.loads(body["templateParamJson"]) if body.get("templateParamJson") else None
        except (ValueError, KeyError, TypeError):
            return answer("129", "JSON格式错误")
        if body.get("account") != self.account:
            return answer("101", "无此用户")
        if not secrets.compare_digest(str(body.get("password", "")), self.password):
            return answer("102", "密码错")
        if self.throttles:
            self.throttles -= 1
            return answer("103", "提交过快")
        if not body.get("templateId"):
            return answer("152", "模板不存在")
        phones = str(body.get("phoneNumbers", "")).split(",")
        if not all(_MOBILE.match(p) for p in phones) or len(phones) > 1000:
            return answer("107", "手机号码格式错误")
        if params is not None and (not isinstance(params, list) or len(params) != len(phones)):
            return answer("153", "模板参数与号码数量不一致")
        ident = f"{time.strftime('%y%m%d%H%M%S')}{secrets.randbelow(10**6):06d}"
        failed = 0
        for i, phone in enumerate(phones):
            if phone in self.failures:
                failed += 1
                continue
            own = params[i] if params is not None else {}
            self.delivered.append({"phone": phone, "templateId": body["templateId"], "params": own, "msgId": ident,
                                   "uid": body.get("uid")})  # fmt: skip
        return answer("000000", msgId=ident, successNum=str(len(phones) - failed), failNum=str(failed))

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """A form POST to ``url`` for each delivery, with the account and password as 253 sends them."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return [
            Outgoing("POST", url, headers, urlencode(
                {"receiver": self.account, "pswd": self.password, "msgid": d["msgId"], "mobile": d["phone"],
                 "status": "DELIVRD" if delivered else "UNDELIV", "statusDesc": "短信发送成功" if delivered else "失败",
                 "reportTime": time.strftime("%y%m%d%H%M"), "notifyTime": time.strftime("%Y%m%d%H%M%S"),
                 "uid": d.get("uid") or "", "length": "1"}
            ).encode())
            for d in deliveries
        ]  # fmt: skip
