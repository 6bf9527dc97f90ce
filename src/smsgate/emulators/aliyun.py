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

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from ._aliyun_wire import (
    Reply,
    beijing_time,
    business,
    gateway,
    json_list,
    national,
    ok,
    reference_rpc_signature,
    reference_v3_authorization,
    required,
    signature_mismatch,
    template_params,
    valid_phone,
)
from ._base import EmulatorBase
from ._outgoing import Outgoing, beijing, json_push
from .server import Received

__all__ = [
    "AliyunFake",
    "Delivery",
    "aliyun_report",
    "aliyun_up",
    "reference_rpc_signature",
    "reference_v3_authorization",
]

VERSION = "2017-05-25"
MAX_SKEW = 15 * 60
_ACTIONS = ("SendSms", "SendBatchSms", "QuerySendDetails")


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


@dataclass
class AliyunFake(EmulatorBase):
    """The fake's state and knobs. ``handle`` is the :class:`FakeServer` handler; ``delivered`` holds
    one :class:`Delivery` per accepted phone."""

    credentials: dict[str, str] = field(default_factory=lambda: {"testAK": "testSecret"})
    tokens: dict[str, str] = field(default_factory=dict)  # AK → STS token it requires
    templates: dict[str, tuple[str, ...]] | None = None  # when set: known templates and their params
    clock: Callable[[], float] = time.time
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
            self._failures.append((national(phone), None, code, message or code, times))

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
        self.receipts[national(phone)] = (status, err_code)

    def phones(self) -> list[str]:
        """Every delivered phone, in order."""
        with self._lock:
            return [d.phone for d in self.delivered]

    def receipt_pushes(self, deliveries: Sequence[Delivery], url: str, *, delivered: bool) -> list[Outgoing]:
        """One JSON array of ``SmsReport`` rows for the deliveries, as Aliyun's HTTP batch pushes them."""
        code = "DELIVERED" if delivered else "MK:0001"
        rows = [aliyun_report(d.phone, d.biz_id, success=delivered, err_code=code) for d in deliveries]
        return [json_push(url, rows)]

    # -- serving -----------------------------------------------------------------------------

    async def handle(self, received: Received) -> web.StreamResponse:
        try:
            return self._process(received)
        except Reply as reply:
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
            raise Reply(gateway(400, "IncompleteSignature", "The request signature does not conform."))
        with self._lock:
            if self._throttles:
                retry_after, code = self._throttles.pop(0)
                headers = {"x-acs-retry-after": str(int(retry_after * 1000))} if retry_after is not None else {}
                raise Reply(gateway(400, code, "Request was denied due to user flow control.", headers))
        params = {**query, **form}
        if action == "QuerySendDetails":
            return self._query(params)
        response = self._send(action, params, scheme)
        with self._lock:
            if self._server_errors:
                status, headers = self._server_errors.pop(0)
                return gateway(
                    status, "ServiceUnavailable", "The request has failed due to a temporary failure.", headers
                )
        return response

    # -- verification ------------------------------------------------------------------------

    def _verify_v3(self, r: Received, query: dict[str, str]) -> str:
        fields = dict(part.split("=", 1) for part in r.headers["authorization"][17:].split(",") if "=" in part)
        ak, signed, signature = fields.get("Credential"), fields.get("SignedHeaders"), fields.get("Signature")
        if not (ak and signed and signature):
            raise Reply(gateway(400, "IncompleteSignature", "The Authorization header is incomplete."))
        names = signed.split(";")
        must = {"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
        must |= {n for n in r.headers if n.startswith("x-acs-")} | ({"content-type"} & set(r.headers))
        missing = sorted(must - set(names) - {"authorization"})
        if missing or any(n not in r.headers for n in names):
            raise Reply(gateway(400, "IncompleteSignature", f"Headers not signed or absent: {missing or names}"))
        if hashlib.sha256(r.body).hexdigest() != r.headers["x-acs-content-sha256"]:
            raise Reply(gateway(400, "InvalidParameter", "x-acs-content-sha256 does not match the body."))
        secret = self._secret(ak)
        headers = {n: r.headers[n] for n in names}
        expected, sts = reference_v3_authorization(r.method, query, headers, r.body, ak, secret)
        if not hmac.compare_digest(expected.rsplit("Signature=", 1)[1], signature):
            raise Reply(signature_mismatch(sts))
        self._check_token(ak, r.headers.get("x-acs-security-token"))
        action, version = r.headers["x-acs-action"], r.headers["x-acs-version"]
        self._check_fresh(r.headers["x-acs-date"], r.headers["x-acs-signature-nonce"])
        return self._check_action(action, version)

    def _verify_rpc(self, r: Received, query: dict[str, str], form: dict[str, str]) -> str:
        params = {k: v for k, v in {**query, **form}.items() if k != "Signature"}
        for name in ("AccessKeyId", "Timestamp", "SignatureNonce", "Action", "Version"):
            if not params.get(name):
                raise Reply(gateway(400, f"Missing{name}", f"{name} is mandatory for this action."))
        if params.get("SignatureMethod") != "HMAC-SHA1" or params.get("SignatureVersion") != "1.0":
            raise Reply(gateway(400, "InvalidParameter", "SignatureMethod or SignatureVersion is not supported."))
        ak = params["AccessKeyId"]
        secret = self._secret(ak)
        expected, sts = reference_rpc_signature(r.method, params, secret)
        if not hmac.compare_digest(expected, query["Signature"]):
            raise Reply(signature_mismatch(sts))
        self._check_token(ak, params.get("SecurityToken"))
        self._check_fresh(params["Timestamp"], params["SignatureNonce"])
        if params.get("Format", "XML").upper() != "JSON":
            raise Reply(web.Response(status=400, text="<Error><Code>XmlNotSupportedByFake</Code></Error>"))
        return self._check_action(params["Action"], params["Version"])

    def _secret(self, ak: str) -> str:
        secret = self.credentials.get(ak)
        if secret is None:
            raise Reply(gateway(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."))
        return secret

    def _check_token(self, ak: str, token: str | None) -> None:
        if ak in self.tokens and token != self.tokens[ak]:
            raise Reply(gateway(400, "InvalidSecurityToken.Mismatch", "Specified SecurityToken is not valid."))

    def _check_fresh(self, stamp: str, nonce: str) -> None:
        try:
            when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise Reply(gateway(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.")) from None
        if abs(self.clock() - when) > MAX_SKEW:
            raise Reply(gateway(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."))
        with self._lock:
            if nonce in self._nonces:
                raise Reply(gateway(400, "SignatureNonceUsed", "Specified signature nonce was used already."))
            self._nonces.add(nonce)

    @staticmethod
    def _check_action(action: str, version: str) -> str:
        if version != VERSION:
            raise Reply(gateway(400, "InvalidVersion", f"Specified parameter Version {version!r} is not valid."))
        if action not in _ACTIONS:
            raise Reply(gateway(404, "InvalidAction.NotFound", f"Specified api {action!r} is not found."))
        return action

    # -- business ----------------------------------------------------------------------------

    def _send(self, action: str, p: dict[str, str], scheme: str) -> web.Response:
        template = required(p, "TemplateCode")
        if action == "SendSms":
            phones = required(p, "PhoneNumbers").split(",")
            signs = [required(p, "SignName")] * len(phones)
            params = [template_params(p.get("TemplateParam"))] * len(phones)
            extend = [p.get("SmsUpExtendCode")] * len(phones)
            limit = 1000
        else:
            phones = json_list(required(p, "PhoneNumberJson"))
            signs = json_list(required(p, "SignNameJson"))
            raw_params = json_list(p["TemplateParamJson"]) if p.get("TemplateParamJson") else [None] * len(phones)
            params = [template_params(x if isinstance(x, str) or x is None else json.dumps(x)) for x in raw_params]
            extend = json_list(p["SmsUpExtendCodeJson"]) if p.get("SmsUpExtendCodeJson") else [None] * len(phones)
            limit = 100
            if not (len(phones) == len(signs) == len(params) == len(extend)):
                raise Reply(business("isv.INVALID_PARAMETERS", "JSON arrays differ in length"))
        if len(phones) > limit:
            raise Reply(business("isv.MOBILE_COUNT_OVER_LIMIT", f"more than {limit} numbers"))
        numbers = []
        for phone in phones:
            n = national(phone) if valid_phone(phone) else None
            if n is None:
                raise Reply(business("isv.MOBILE_NUMBER_ILLEGAL", f"invalid mobile number {phone}"))
            numbers.append(n)
        if self.templates is not None:
            if template not in self.templates:
                raise Reply(business("isv.SMS_TEMPLATE_ILLEGAL", "template not found or not approved"))
            for given in params:
                absent = [k for k in self.templates[template] if k not in given]
                if absent:
                    raise Reply(business("isv.TEMPLATE_MISSING_PARAMETERS", f"missing {','.join(absent)}"))
        self._take_failure(numbers, template)
        biz_id = f"{next(self._ids)}^0"
        now = self.clock()
        rows = [
            Delivery(n, s, template, dict(par), biz_id, action, p.get("OutId"), e, scheme, now)
            for n, s, par, e in zip(numbers, signs, params, extend, strict=True)
        ]
        with self._lock:
            self.delivered.extend(rows)
        return ok({"BizId": biz_id})

    def _take_failure(self, phones: list[str], template: str) -> None:
        with self._lock:
            for i, (phone, tpl, code, message, times) in enumerate(self._failures):
                if (phone is not None and phone in phones) or (tpl is not None and tpl == template):
                    if times is not None:
                        if times <= 1:
                            self._failures.pop(i)
                        else:
                            self._failures[i] = (phone, tpl, code, message, times - 1)
                    raise Reply(business(code, message))

    def _query(self, p: dict[str, str]) -> web.Response:
        phone = national(required(p, "PhoneNumber"))
        day = required(p, "SendDate")
        size, page = int(required(p, "PageSize")), int(required(p, "CurrentPage"))
        if not 1 <= size <= 50:
            raise Reply(business("isv.INVALID_PARAMETERS", "PageSize must be 1-50"))
        with self._lock:
            rows = [
                d
                for d in self.delivered
                if d.phone == phone
                and beijing_time(d.sent_at).strftime("%Y%m%d") == day
                and (not p.get("BizId") or d.biz_id == p["BizId"])
            ]
        chosen = rows[(page - 1) * size : page * size]
        dtos = [self._dto(d) for d in chosen]
        return ok({"TotalCount": len(rows), "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}})

    def _dto(self, d: Delivery) -> dict[str, Any]:
        status, err = self.receipts.get(d.phone, (3, "DELIVERED"))
        sent = beijing_time(d.sent_at).strftime("%Y-%m-%d %H:%M:%S")
        received = beijing_time(d.sent_at + 3).strftime("%Y-%m-%d %H:%M:%S") if status != 1 else ""
        dto = {"PhoneNum": d.phone, "SendStatus": status, "ErrCode": err, "TemplateCode": d.template_code}
        dto.update(Content=f"【{d.sign_name}】{json.dumps(d.params, ensure_ascii=False)}", SendDate=sent)
        dto.update(ReceiveDate=received, OutId=d.out_id or "")
        return dto


# -- receipts (provider-specs-2 §21.1): JSON arrays, unsigned -----------------------------------


def aliyun_report(phone: str, biz_id: str, *, success: bool = True, err_code: str = "DELIVERED") -> dict[str, Any]:
    """One ``SmsReport`` row."""
    now = time.time()
    return {
        "phone_number": phone,
        "send_time": beijing(now - 5),
        "report_time": beijing(now),
        "success": success,
        "err_code": err_code,
        "err_msg": "用户接收成功" if success else "失败",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": "",
    }


def aliyun_up(phone: str, content: str) -> dict[str, Any]:
    """One ``SmsUp`` row (an inbound message)."""
    return {
        "phone_number": phone,
        "send_time": beijing(time.time()),
        "content": content,
        "sign_name": "Acme",
        "dest_code": "1234",
        "sequence_id": secrets.randbelow(10**9),
    }
