"""A fake Aliyun Dysmsapi that verifies requests the way Aliyun does, served over loopback.

Usage (the ``aliyun_server`` fixture does the first three lines)::

    fake = AliyunFake()                       # credentials {"testAK": "testSecret"}
    # SendSms carries up to 1000 numbers in the URL query (about 14 KB), as Aliyun accepts
    with FakeServer(fake.handle, max_line_size=32768) as server:
        fake.server = server
        settings = fake.settings()            # provider settings pointing at the fake
        fake.fail_phone("13800000000", "isv.MOBILE_NUMBER_ILLEGAL")
        ...
        fake.delivered                        # one Delivery per accepted phone

Verification is written from the wire spec (§1.3, §1.4, §7.0 of provider-specs.md), apart from the
client's signer: V3 ``ACS3-HMAC-SHA256`` rebuilt from the *decoded* query and the received signed
headers, and legacy RPC HMAC-SHA1 over query plus form body. Unknown AccessKeyId → 404
``InvalidAccessKeyId.NotFound``; bad signature → 400 ``SignatureDoesNotMatch``; reused nonce →
``SignatureNonceUsed``; clock skew over 15 minutes → ``InvalidTimeStamp.Expired``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote

from aiohttp import web

from .server import FakeServer, Received

__all__ = [
    "AliyunFake",
    "Delivery",
    "reference_rpc_signature",
    "reference_v3_authorization",
]

HOST_ID = "dysmsapi.aliyuncs.com"
VERSION = "2017-05-25"
MAX_SKEW = 15 * 60
_ACTIONS = ("SendSms", "SendBatchSms", "QuerySendDetails")
_BEIJING = timezone(timedelta(hours=8))
_MAINLAND = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_INTERNATIONAL = re.compile(r"(?:\+|00)?((?!86)(?:1\d{10}|[2-9]\d{7,14}))")  # NANP is 1 + 10 digits


# -- the reference algorithm (spec §7.0), kept independent of smsgate's signer ---------------


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


# -- what the fake records ------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One phone of an accepted SendSms / SendBatchSms request."""

    phone: str  # as sent: 11-digit mainland number, or country code + number
    sign_name: str
    template_code: str
    params: dict[str, str]
    biz_id: str
    action: str
    out_id: str | None = None
    extend_code: str | None = None
    signature: str = "v3"  # or "rpc"
    sent_at: float = 0.0


class _Reply(Exception):
    """Stops processing with this response."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


@dataclass
class AliyunFake:
    """The fake's state and knobs. ``handle`` is the :class:`FakeServer` handler."""

    credentials: dict[str, str] = field(default_factory=lambda: {"testAK": "testSecret"})
    tokens: dict[str, str] = field(default_factory=dict)  # AK → STS token it requires
    templates: dict[str, tuple[str, ...]] | None = None  # when set: known templates and their params
    clock: Callable[[], float] = time.time
    server: FakeServer | None = None
    delivered: list[Delivery] = field(default_factory=list)
    receipts: dict[str, tuple[int, str]] = field(default_factory=dict)  # phone → (SendStatus, ErrCode)
    _failures: list[tuple[str | None, str | None, str, str, int | None]] = field(default_factory=list)
    _throttles: list[tuple[float | None, str]] = field(default_factory=list)
    _server_errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    _nonces: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(900619746936498440))

    max_line_size = 32768  # SendSms carries up to 1000 numbers in the URL query (about 14 KB)

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per phone, without credentials."""
        with self._lock:
            return [
                {"phone": d.phone, "sign_name": d.sign_name, "template": d.template_code, "params": d.params}
                for d in self.delivered
            ]

    # -- knobs -------------------------------------------------------------------------------

    def settings(self, ak: str | None = None, **extra: Any) -> dict[str, Any]:
        """Provider settings pointing at this fake (the first credential unless ``ak`` is given)."""
        assert self.server is not None, "start the fake with FakeServer(fake.handle, max_line_size=32768) first"
        ak = ak or next(iter(self.credentials))
        base = {"access_key_id": ak, "access_key_secret": self.credentials[ak], "endpoint": self.server.url}
        return {**base, "sign_name": "阿里云短信测试", **extra}

    def fail_phone(self, phone: str, code: str, message: str = "", *, times: int | None = None) -> None:
        """Answer any request that includes ``phone`` with business ``code`` (HTTP 200)."""
        with self._lock:
            self._failures.append((_national(phone), None, code, message or code, times))

    def fail_template(self, template: str, code: str, message: str = "", *, times: int | None = None) -> None:
        """Answer any request for ``template`` with business ``code`` (HTTP 200)."""
        with self._lock:
            self._failures.append((None, template, code, message or code, times))

    def throttle_next(self, retry_after: float | None = 1, code: str = "Throttling.User") -> None:
        """Refuse the next request with a gateway throttle (HTTP 400, ``x-acs-retry-after`` when given)."""
        with self._lock:
            self._throttles.append((retry_after, code))

    def server_error_next(self, status: int, headers: dict[str, str] | None = None) -> None:
        """Deliver the next send, then answer it with a gateway ``status`` (5xx) and ``headers``."""
        with self._lock:
            self._server_errors.append((status, headers or {}))

    def set_receipt(self, phone: str, status: int, err_code: str) -> None:
        """What QuerySendDetails reports for ``phone`` (default: 3, ``DELIVERED``)."""
        self.receipts[_national(phone)] = (status, err_code)

    def phones(self) -> list[str]:
        """Every delivered phone, in order."""
        with self._lock:
            return [d.phone for d in self.delivered]

    # -- serving -----------------------------------------------------------------------------

    async def handle(self, received: Received) -> web.StreamResponse:
        try:
            return self._process(received)
        except _Reply as reply:
            return reply.response

    def _process(self, r: Received) -> web.Response:
        query = dict(r.query)
        form: dict[str, str] = {}
        if r.body and r.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            form = dict(parse_qsl(r.body.decode(), keep_blank_values=True))
        if r.headers.get("authorization", "").startswith("ACS3-HMAC-SHA256 "):
            action, scheme = self._verify_v3(r, query), "v3"
        elif "Signature" in query:
            action, scheme = self._verify_rpc(r, query, form), "rpc"
        else:
            raise _Reply(_gateway(400, "IncompleteSignature", "The request signature does not conform."))
        with self._lock:
            if self._throttles:
                retry_after, code = self._throttles.pop(0)
                headers = {"x-acs-retry-after": str(int(retry_after * 1000))} if retry_after is not None else {}
                raise _Reply(_gateway(400, code, "Request was denied due to user flow control.", headers))
        params = {**query, **form}
        if action == "QuerySendDetails":
            return self._query(params)
        response = self._send(action, params, scheme)
        with self._lock:
            if self._server_errors:
                status, headers = self._server_errors.pop(0)
                return _gateway(
                    status, "ServiceUnavailable", "The request has failed due to a temporary failure.", headers
                )
        return response

    # -- verification ------------------------------------------------------------------------

    def _verify_v3(self, r: Received, query: dict[str, str]) -> str:
        fields = dict(part.split("=", 1) for part in r.headers["authorization"][17:].split(",") if "=" in part)
        ak, signed, signature = fields.get("Credential"), fields.get("SignedHeaders"), fields.get("Signature")
        if not (ak and signed and signature):
            raise _Reply(_gateway(400, "IncompleteSignature", "The Authorization header is incomplete."))
        names = signed.split(";")
        must = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
        must |= {n for n in r.headers if n.startswith("x-acs-")} | ({"content-type"} & set(r.headers))
        missing = sorted(must - set(names) - {"authorization"})
        if missing or any(n not in r.headers for n in names):
            raise _Reply(_gateway(400, "IncompleteSignature", f"Headers not signed or absent: {missing or names}"))
        if hashlib.sha256(r.body).hexdigest() != r.headers["x-acs-content-sha256"]:
            raise _Reply(_gateway(400, "InvalidParameter", "x-acs-content-sha256 does not match the body."))
        secret = self._secret(ak)
        headers = {n: r.headers[n] for n in names}
        expected, sts = reference_v3_authorization(r.method, query, headers, r.body, ak, secret)
        if not hmac.compare_digest(expected.rsplit("Signature=", 1)[1], signature):
            raise _Reply(_signature_mismatch(sts))
        self._check_token(ak, r.headers.get("x-acs-security-token"))
        action, version = r.headers["x-acs-action"], r.headers["x-acs-version"]
        self._check_fresh(r.headers["x-acs-date"], r.headers["x-acs-signature-nonce"])
        return self._check_action(action, version)

    def _verify_rpc(self, r: Received, query: dict[str, str], form: dict[str, str]) -> str:
        params = {k: v for k, v in {**query, **form}.items() if k != "Signature"}
        for name in ("AccessKeyId", "Timestamp", "SignatureNonce", "Action", "Version"):
            if not params.get(name):
                raise _Reply(_gateway(400, f"Missing{name}", f"{name} is mandatory for this action."))
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise _Reply(_gateway(400, "InvalidParameter", "SignatureMethod or SignatureVersion is not supported."))
        ak = params["AccessKeyId"]
        secret = self._secret(ak)
        expected, sts = reference_rpc_signature(r.method, params, secret)
        if not hmac.compare_digest(expected, query["Signature"]):
            raise _Reply(_signature_mismatch(sts))
        self._check_token(ak, params.get("SecurityToken"))
        self._check_fresh(params["Timestamp"], params["SignatureNonce"])
        if params.get("Format", "XML").upper() != "JSON":
            raise _Reply(web.Response(status=400, text="<Error><Code>XmlNotSupportedByFake</Code></Error>"))
        return self._check_action(params["Action"], params["Version"])

    def _secret(self, ak: str) -> str:
        secret = self.credentials.get(ak)
        if secret is None:
            raise _Reply(_gateway(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."))
        return secret

    def _check_token(self, ak: str, token: str | None) -> None:
        if ak in self.tokens and token != self.tokens[ak]:
            raise _Reply(_gateway(400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is not valid."))

    def _check_fresh(self, stamp: str, nonce: str) -> None:
        try:
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise _Reply(_gateway(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")) from None
        if abs(self.clock() - when) > MAX_SKEW:
            raise _Reply(_gateway(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."))
        with self._lock:
            if nonce in self._nonces:
                raise _Reply(_gateway(400, "SignatureNonceUsed", "Specified signature nonce was used already."))
            self._nonces.add(nonce)

    @staticmethod
    def _check_action(action: str, version: str) -> str:
        if version != VERSION:
            raise _Reply(_gateway(400, "InvalidVersion", f"Specified parameter Version {version!r} is not valid."))
        if action not in _ACTIONS:
            raise _Reply(_gateway(404, "InvalidAction.NotFound", f"Specified api {action!r} is not found."))
        return action

    # -- business ----------------------------------------------------------------------------

    def _send(self, action: str, p: dict[str, str], scheme: str) -> web.Response:
        template = _required(p, "TemplateCode")
        if action == "SendSms":
            phones = _required(p, "PhoneNumbers").split(",")
            signs = [_required(p, "SignName")] * len(phones)
            params = [_params(p.get("TemplateParam"))] * len(phones)
            extend = [p.get("SmsUpExtendCode")] * len(phones)
            limit = 1000
        else:
            phones = _json_list(_required(p, "PhoneNumberJson"))
            signs = _json_list(_required(p, "SignNameJson"))
            raw_params = _json_list(p["TemplateParamJson"]) if p.get("TemplateParamJson") else [None] * len(phones)
            params = [_params(x if isinstance(x, str) or x is None else json.dumps(x)) for x in raw_params]
            extend = _json_list(p["SmsUpExtendCodeJson"]) if p.get("SmsUpExtendCodeJson") else [None] * len(phones)
            limit = 100
            if not (len(phones) == len(signs) == len(params) == len(extend)):
                raise _Reply(_business("isv.INVALID_PARAMETERS", "JSON arrays differ in length"))
        if len(phones) > limit:
            raise _Reply(_business("isv.MOBILE_COUNT_OVER_LIMIT", f"more than {limit} numbers"))
        national = []
        for phone in phones:
            n = _national(phone) if _valid(phone) else None
            if n is None:
                raise _Reply(_business("isv.MOBILE_NUMBER_ILLEGAL", f"invalid mobile number {phone}"))
            national.append(n)
        if self.templates is not None:
            if template not in self.templates:
                raise _Reply(_business("isv.SMS_TEMPLATE_ILLEGAL", "template not found or not approved"))
            for given in params:
                absent = [k for k in self.templates[template] if k not in given]
                if absent:
                    raise _Reply(_business("isv.TEMPLATE_MISSING_PARAMETERS", f"missing {','.join(absent)}"))
        self._take_failure(national, template)
        biz_id = f"{next(self._ids)}^0"
        now = self.clock()
        rows = [
            Delivery(n, s, template, dict(par), biz_id, action, p.get("OutId"), e, scheme, now)
            for n, s, par, e in zip(national, signs, params, extend, strict=True)
        ]
        with self._lock:
            self.delivered.extend(rows)
        return _ok({"BizId": biz_id})

    def _take_failure(self, phones: list[str], template: str) -> None:
        with self._lock:
            for i, (phone, tpl, code, message, times) in enumerate(self._failures):
                if (phone is not None and phone in phones) or (tpl is not None and tpl == template):
                    if times is not None:
                        if times <= 1:
                            self._failures.pop(i)
                        else:
                            self._failures[i] = (phone, tpl, code, message, times - 1)
                    raise _Reply(_business(code, message))

    def _query(self, p: dict[str, str]) -> web.Response:
        phone = _national(_required(p, "PhoneNumber"))
        day = _required(p, "SendDate")
        size, page = int(_required(p, "PageSize")), int(_required(p, "CurrentPage"))
        if not 1 <= size <= 50:
            raise _Reply(_business("isv.INVALID_PARAMETERS", "PageSize must be 1-50"))
        with self._lock:
            rows = [
                d
                for d in self.delivered
                if d.phone == phone
                and _beijing(d.sent_at).strftime("%Y%m%d") == day
                and (not p.get("BizId") or d.biz_id == p["BizId"])
            ]
        chosen = rows[(page - 1) * size : page * size]
        dtos = [self._dto(d) for d in chosen]
        return _ok({"TotalCount": len(rows), "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}})

    def _dto(self, d: Delivery) -> dict[str, Any]:
        status, err = self.receipts.get(d.phone, (3, "DELIVERED"))
        sent = _beijing(d.sent_at).strftime("%Y-%m-%d %H:%M:%S")
        received = _beijing(d.sent_at + 3).strftime("%Y-%m-%d %H:%M:%S") if status != 1 else ""
        dto = {"PhoneNum": d.phone, "SendStatus": status, "ErrCode": err, "TemplateCode": d.template_code}
        dto.update(Content=f"【{d.sign_name}】{json.dumps(d.params, ensure_ascii=False)}", SendDate=sent)
        dto.update(ReceiveDate=received, OutId=d.out_id or "")
        return dto


# -- helpers --------------------------------------------------------------------------------


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def _ok(extra: dict[str, Any]) -> web.Response:
    return web.json_response({"Code": "OK", "Message": "OK", "RequestId": _request_id(), **extra})


def _business(code: str, message: str) -> web.Response:
    return web.json_response({"Code": code, "Message": message, "RequestId": _request_id()})


def _gateway(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    rid = _request_id()
    body = {"RequestId": rid, "HostId": HOST_ID, "Code": code, "Message": message}
    body["Recommend"] = f"https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi&requestId={rid}"
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(),
        status=status,
        headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})},
    )


def _signature_mismatch(sts: str) -> web.Response:
    text = f"Specified signature is not matched with our calculation. server string to sign is:{sts}"
    return _gateway(400, "SignatureDoesNotMatch", text)


def _required(p: dict[str, str], name: str) -> str:
    value = p.get(name)
    if not value:
        raise _Reply(_gateway(400, f"Missing{name}", f"{name} is mandatory for this action."))
    return value


def _params(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise _Reply(_business("isv.INVALID_JSON_PARAM", "TemplateParam is not valid JSON")) from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _Reply(_business("isv.INVALID_JSON_PARAM", "TemplateParam must be an object of strings"))
    return value


def _json_list(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list):
        raise _Reply(_business("isv.INVALID_JSON_PARAM", "expected a JSON array"))
    return value


def _valid(phone: Any) -> bool:
    return isinstance(phone, str) and bool(_MAINLAND.fullmatch(phone) or _INTERNATIONAL.fullmatch(phone))


def _national(phone: str) -> str:
    """Mainland numbers as 11 digits; others as country code + number."""
    m = _MAINLAND.fullmatch(phone)
    if m:
        return m.group(1)
    m = _INTERNATIONAL.fullmatch(phone)
    return m.group(1) if m else phone


def _beijing(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, _BEIJING)
