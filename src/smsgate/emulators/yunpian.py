"""A Yunpian v2 SMS API on loopback, checking the API key and the text as Yunpian does.

``POST /v2/sms/single_send.json`` with a form body. Answers ``{"code": 0, "msg": "发送成功", "count",
"fee", "unit", "mobile", "sid"}``, or a non-zero code with HTTP 400: ``-1`` wrong key, ``2`` a bad
number, ``8`` the same number too often, ``3`` no balance. Delivery reports go out as Yunpian pushes
them: a form field ``sms_status`` holding a JSON array. Knobs: :meth:`YunpianEmulator.fail_phone`,
:meth:`YunpianEmulator.limit_phone`.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import Received

APIKEY = "yunpian-apikey-not-a-real-one"
_MOBILE = re.compile(r"^(1[3-9][0-9]{9}|\+[1-9][0-9]{6,14})$")


def refused(code: int, msg: str, detail: str = "") -> web.Response:
    return web.json_response({"code": code, "msg": msg, "http_status_code": 400, "detail": detail or msg}, status=400)


@dataclass
class YunpianEmulator(EmulatorBase):
    """One Yunpian account: its key, what it delivered, and the failures it is told to give."""

    apikey: str = APIKEY
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"apikey": self.apikey, "sign_name": "Acme", "endpoint": self.endpoint, **overrides}

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: Yunpian does not sign reports, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per message, without credentials."""
        return [{"phone": d["mobile"], "text": d["text"]} for d in self.delivered]

    def fail_phone(self, phone: str) -> None:
        """Refuse every message to ``phone`` (as sent: national for China, else E.164) as a blacklisted number."""
        self.failures[phone] = (10, "手机号防骚扰名单过滤")

    def limit_phone(self, phone: str) -> None:
        """Refuse every message to ``phone`` as sent too often (code 8)."""
        self.failures[phone] = (8, "同一手机号30秒内重复提交相同的内容")

    async def handle(self, request: Received) -> web.StreamResponse:
        if request.path != "/v2/sms/single_send.json" or request.method != "POST":
            return web.Response(status=404, text="not found")
        try:
            form = dict(parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=bool(request.body)))
        except (UnicodeDecodeError, ValueError):
            return refused(1, "请求参数格式错误")
        if not secrets.compare_digest(form.get("apikey", ""), self.apikey):
            return refused(-1, "非法的apikey", "请检查的apikey是否正确")
        mobile, text = form.get("mobile", ""), form.get("text", "")
        if not _MOBILE.match(mobile):
            return refused(2, "请求参数格式错误", "参数 mobile 格式不正确")
        if not text.startswith("【") or "】" not in text:
            return refused(5, "未找到匹配的模板", "签名不能为空")
        if mobile in self.failures:
            return refused(*self.failures[mobile])
        sid = secrets.randbits(63)
        self.delivered.append({**form, "sid": sid})
        reply = {"code": 0, "msg": "发送成功", "count": 1, "fee": 0.05, "unit": "RMB", "mobile": mobile, "sid": sid}
        return web.Response(status=200, text=json.dumps(reply, ensure_ascii=False), content_type="application/json")

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One push of every report, as Yunpian sends them: the form field ``sms_status`` holding JSON."""
        reports = [
            {"sid": d["sid"], "uid": d.get("uid") or "", "user_receive_time": time.strftime("%Y-%m-%d %H:%M:%S"),
             "error_msg": "DELIVRD" if delivered else "DB:0103", "mobile": d["mobile"],
             "report_status": "SUCCESS" if delivered else "FAIL", "error_detail": "" if delivered else "无法送达"}
            for d in deliveries
        ]  # fmt: skip
        body = urlencode({"sms_status": json.dumps(reports, ensure_ascii=False)}).encode()
        return [Outgoing("POST", url, {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}, body)]
