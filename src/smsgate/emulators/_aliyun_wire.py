"""Aliyun's wire for the emulator: the reference signing algorithms (spec §7.0, written apart from
smsgate's signer) and the answers Aliyun gives (business codes, gateway errors, RPC parameters)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from aiohttp import web

__all__ = [
    "Reply",
    "beijing_time",
    "business",
    "gateway",
    "json_list",
    "national",
    "ok",
    "reference_rpc_signature",
    "reference_v3_authorization",
    "required",
    "signature_mismatch",
    "template_params",
    "valid_phone",
]

HOST_ID = "dysmsapi.aliyuncs.com"
_BEIJING = timezone(timedelta(hours=8))
_MAINLAND = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_INTERNATIONAL = re.compile(r"(?:\+|00)?((?!86)(?:1\d{10}|[2-9]\d{7,14}))")  # NANP is 1 + 10 digits


def _enc(text: str) -> str:
    return quote(str(text), safe="~")


def _canon(params: dict[str, str]) -> str:
    return "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(params.items()))


def reference_v3_authorization(
    method: str, query: dict[str, str], headers: dict[str, str], body: bytes, ak: str, secret: str
) -> tuple[str, str]:
    """(Authorization, StringToSign) for ``headers`` = exactly the signed ones."""
    payload = hashlib.sha256(body or b"").hexdigest()
    h = {k.lower(): str(v).strip() for k, v in headers.items()}
    names = sorted(h)
    creq = f"{method}\n/\n{_canon(query)}\n" + "".join(f"{k}:{h[k]}\n" for k in names)
    creq += f"\n{';'.join(names)}\n{payload}"
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(creq.encode()).hexdigest()
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={ak},SignedHeaders={';'.join(names)},Signature={sig}", sts


def reference_rpc_signature(method: str, params: dict[str, str], secret: str) -> tuple[str, str]:
    """(Signature, StringToSign) for the legacy RPC scheme; ``params`` = query + form, no Signature."""
    sts = f"{method.upper()}&{_enc('/')}&{_enc(_canon(params))}"
    digest = hmac.new(f"{secret}&".encode(), sts.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode(), sts


class Reply(Exception):
    """Stops processing with this response."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def ok(extra: dict[str, Any]) -> web.Response:
    return web.json_response({"Code": "OK", "Message": "OK", "RequestId": _request_id(), **extra})


def business(code: str, message: str) -> web.Response:
    return web.json_response({"Code": code, "Message": message, "RequestId": _request_id()})


def gateway(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    rid = _request_id()
    body = {"RequestId": rid, "HostId": HOST_ID, "Code": code, "Message": message}
    body["Recommend"] = f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi&requestId={rid}"
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(),
        status=status,
        headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})},
    )


def signature_mismatch(sts: str) -> web.Response:
    text = f"Specified signature is not matched with our calculation. server string to sign is:{sts}"
    return gateway(400, "SignatureDoesNotMatch", text)


def required(p: dict[str, str], name: str) -> str:
    value = p.get(name)
    if not value:
        raise Reply(gateway(400, f"Missing{name}", f"{name} is mandatory for this action."))
    return value


def template_params(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise Reply(business("isv.INVALID_JSON_PARAM", "TemplateParam is not valid JSON")) from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise Reply(business("isv.INVALID_JSON_PARAM", "TemplateParam must be an object of strings"))
    return value


def json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise Reply(business("isv.INVALID_JSON_PARAM", "expected a JSON array"))
    return value


def valid_phone(phone: Any) -> bool:
    return isinstance(phone, str) and bool(_MAINLAND.fullmatch(phone) or _INTERNATIONAL.fullmatch(phone))


def national(phone: str) -> str:
    """Mainland numbers as 11 digits; others as country code + number."""
    m = _MAINLAND.fullmatch(phone)
    if m:
        return m.group(1)
    m = _INTERNATIONAL.fullmatch(phone)
    return m.group(1) if m else phone


def beijing_time(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, _BEIJING)
