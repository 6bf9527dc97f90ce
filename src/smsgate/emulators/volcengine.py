"""A Volcengine SMS API on loopback, checking the ``HMAC-SHA256`` signature as Volcengine does.

``POST /?Action=SendSms&Version=2020-01-01`` with a JSON body, or ``Action=SendBatchSms&Version=2021-01-01``
with ``Messages: [{"PhoneNumber", "TemplateParam"}]`` (≤ 200, params per number). The signature is recomputed over the
headers the ``Authorization`` header lists (``host``, ``x-date`` and ``x-content-sha256`` among them;
the body must hash to ``X-Content-Sha256``). Answers ``{"ResponseMetadata": {...}, "Result":
{"MessageID": [...]}}`` (input order), or ``ResponseMetadata.Error``: ``SignatureDoesNotMatch`` /
``InvalidAccessKey`` (HTTP 401), ``RE:0009`` bad params, ``RE:0006`` a bad single number (with several,
a refused number shows only in its report), ``FlowLimitExceeded`` (HTTP 429). Delivery reports are
pushed as a JSON array. Knobs: :meth:`VolcengineEmulator.throttle`, :meth:`VolcengineEmulator.fail_phone`.
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

ACCESS_KEY = "AKLT-volcengine-access-key"
SECRET_KEY = "volcengine-secret-key-not-a-real-one"
SMS_ACCOUNT = "7a2b0001"
_NUMBER = re.compile(r"^(\+?86)?1\d{10}$|^\+[1-9]\d{6,14}$")
_AUTH = re.compile(r"^HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/volcSMS/request, SignedHeaders=([a-z0-9;-]+), "
                   r"Signature=([0-9a-f]{64})$")  # fmt: skip


_VERSIONS = {"SendSms": "2020-01-01", "SendBatchSms": "2021-01-01"}


def _single(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """SendSms: every number of ``PhoneNumbers`` with the one ``TemplateParam``."""
    params = json.loads(body.get("TemplateParam") or "{}")
    if not isinstance(params, dict) or not body.get("PhoneNumbers"):
        raise ValueError("TemplateParam must be a JSON object")
    return [(phone, params) for phone in str(body["PhoneNumbers"]).split(",")]


def _batch(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """SendBatchSms: each of ``Messages`` with its own ``PhoneNumber`` and ``TemplateParam``."""
    wanted = []
    for item in body["Messages"]:
        params = json.loads(item.get("TemplateParam") or "{}")
        if not isinstance(params, dict) or not isinstance(item["PhoneNumber"], str):
            raise ValueError("each message needs a PhoneNumber and a JSON object TemplateParam")
        wanted.append((item["PhoneNumber"], params))
    return wanted


def answer(code: str, message: str, status: int = 200, code_n: int | None = None) -> web.Response:
    error: dict[str, Any] = {"Code": code, "Message": message, **({"CodeN": code_n} if code_n else {})}
    meta = {"RequestId": uuid.uuid4().hex, "Action": "SendSms", "Version": "2020-01-01", "Service": "volcSMS",
            "Region": "cn-north-1", "Error": error}  # fmt: skip
    return web.json_response({"ResponseMetadata": meta}, status=status)


def _key(secret: str, date: str, region: str) -> bytes:
    key = secret.encode()
    for part in (date, region, "volcSMS", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def expected_signature(secret: str, request: Received, signed: list[str], region: str) -> str:
    """Volcengine's signature of ``request`` over the ``signed`` headers."""
    headers = {k.lower(): v.strip() for k, v in request.headers.items()}
    query = "&".join(sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in request.query))
    lines = "".join(f"{n}:{headers.get(n, '')}\n" for n in signed)
    canonical = f"{request.method}\n{quote(request.path, safe='/-_.~')}\n{query}\n{lines}\n{';'.join(signed)}\n"
    canonical += headers.get("x-content-sha256", "")
    x_date = headers.get("x-date", "")
    scope = f"{x_date[:8]}/{region}/volcSMS/request"
    to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    return hmac.new(_key(secret, x_date[:8], region), to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class VolcengineEmulator(EmulatorBase):
    """One Volcengine account: its keys, what it delivered, and the failures it is told to give."""

    keys: dict[str, str] = field(default_factory=lambda: {ACCESS_KEY: SECRET_KEY})
    failures: set[str] = field(default_factory=set)
    throttles: int = 0

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings for this account."""
        return {"access_key_id": ACCESS_KEY, "secret_access_key": self.keys[ACCESS_KEY], "sms_account": SMS_ACCOUNT,
                "sign_name": "测试签名", "endpoint": self.endpoint, **overrides}  # fmt: skip

    def receipt_settings(self) -> dict[str, Any]:
        """Settings for :mod:`smsgate.receipts`: Volcengine does not sign, a path token guards the URL."""
        return {"path_token": "t"}

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per number, without credentials."""
        return [{"phone": d["phone"], "template": d["template"], "params": d["params"]} for d in self.delivered]

    def throttle(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with FlowLimitExceeded (HTTP 429, nothing delivered)."""
        self.throttles += times

    def fail_phone(self, phone: str) -> None:
        """Refuse ``phone`` (as sent): alone, with RE:0006; among others, in its delivery report."""
        self.failures.add(phone)

    async def handle(self, request: Received) -> web.StreamResponse:
        query = dict(request.query)
        action = query.get("Action")
        if request.method != "POST" or request.path != "/" or query.get("Version") != _VERSIONS.get(action or ""):
            return answer("InvalidActionOrVersion", "Could not find operation", 404, 100008)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if self.throttles:
            self.throttles -= 1
            return answer("FlowLimitExceeded", "Flow limit exceeded", 429, 100018)
        try:
            body = json.loads(request.body)
            wanted = _batch(body) if action == "SendBatchSms" else _single(body)
        except (ValueError, AttributeError, TypeError, KeyError):
            return answer("RE:0009", "参数错误")
        if not all(body.get(k) for k in ("SmsAccount", "Sign", "TemplateID")) or not 0 < len(wanted) <= 200:
            return answer("RE:0009", "参数错误")
        phones = [phone for phone, _ in wanted]
        if not all(_NUMBER.match(p) for p in phones) or (len(phones) == 1 and phones[0] in self.failures):
            return answer("RE:0006", "手机号码格式错误")
        ids = []
        for phone, params in wanted:
            ids.append(uuid.uuid4().hex)
            e164 = phone if phone.startswith("+") else "+86" + phone.removeprefix("86")
            self.delivered.append({"phone": e164, "mobile": phone, "template": body["TemplateID"], "params": params,
                                   "id": ids[-1], "tag": body.get("Tag", ""), "action": action,
                                   "refused": phone in self.failures})  # fmt: skip
        meta = {"RequestId": uuid.uuid4().hex, "Action": action, "Version": query["Version"], "Service": "volcSMS",
                "Region": "cn-north-1"}  # fmt: skip
        return web.json_response({"ResponseMetadata": meta, "Result": {"MessageID": ids}})

    def _refusal(self, request: Received) -> web.Response | None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        match = _AUTH.match(headers.get("authorization", ""))
        if match is None:
            return answer("MissingSignature", "the signature is missing", 401, 100005)
        if match[1] not in self.keys:
            return answer("InvalidAccessKey", "the access key is invalid", 401, 100009)
        signed = match[4].split(";")
        digest = hashlib.sha256(request.body).hexdigest()
        fits = {"host", "x-date", "x-content-sha256"} <= set(signed) and headers.get("x-content-sha256") == digest
        good = expected_signature(self.keys[match[1]], request, signed, match[3])
        if not fits or match[2] != headers.get("x-date", "")[:8] or not secrets.compare_digest(match[5], good):
            return answer("SignatureDoesNotMatch", "the request signature does not match", 401, 100010)
        return None

    def receipt_pushes(self, deliveries: Sequence[Mapping[str, Any]], url: str, *, delivered: bool) -> list[Outgoing]:
        """One push of every report (a JSON array), as Volcengine batches them."""
        now = int(time.time() * 1000)
        rows = [
            {"account": SMS_ACCOUNT, "sub_account": SMS_ACCOUNT, "mobile": d["mobile"], "message_id": d["id"],
             "status_code": "0" if delivered and not d["refused"] else "CR:0201",
             "description": "DELIVRD" if delivered and not d["refused"] else "blacklist", "template_id": d["template"],
             "msg_count": 1, "ext": d["tag"], "send_time": now, "recv_time": now, "channel_type": "CN_OTP"}
            for d in deliveries
        ]  # fmt: skip
        headers = {"Content-Type": "application/json;charset=utf-8"}
        return [Outgoing("POST", url, headers, json.dumps(rows, ensure_ascii=False).encode())]
