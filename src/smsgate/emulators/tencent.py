"""A fake Tencent Cloud SMS API (``SendSms``, 2021-01-11) that checks TC3 signatures as Tencent does.

Always HTTP 200: request-wide problems come back as ``Response.Error``, per-number verdicts as
``Response.SendStatusSet``. The signature check is written from the spec's reference algorithm
(provider-specs §7.0), not from the provider's signer.

Use the ``tencent_fake`` fixture; ``fake.settings()`` gives provider settings that point at it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing, beijing, json_push
from .server import FakeServer, Received

SECRET_ID = "AKIDfakeTencentSecretId000000000000"
SECRET_KEY = "fake-tencent-secret-key-0123456789"
SDK_APP_ID = "1400006666"
MAX_NUMBERS = 200
SKEW = 300

_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/ ]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/ ]+)/tc3_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)
_E164 = re.compile(r"\+[1-9]\d{5,14}")


@dataclass
class Delivery:
    """One number the fake accepted."""

    phone: str
    template_id: str
    params: list[str]
    sign_name: str | None
    serial_no: str
    sdk_app_id: str
    session_context: str


def verify_tc3(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: float,
) -> tuple[str, str] | None:
    """``(code, message)`` of Tencent's auth error for this request, or ``None`` when it verifies."""
    match = _AUTH.fullmatch(headers.get("authorization", ""))
    if match is None:
        return "AuthFailure.InvalidAuthorization", "Authorization header is malformed"
    try:
        timestamp = int(headers.get("x-tc-timestamp", ""))
    except ValueError:
        return "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing or not an integer"
    if abs(now - timestamp) > SKEW:
        return "AuthFailure.SignatureExpire", "signature expired: X-TC-Timestamp is more than 5 minutes away"
    secret = credentials.get(match["id"])
    if secret is None:
        return "AuthFailure.SecretIdNotFound", "the SecretId is not found"
    date = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d")
    if match["date"] != date or match["service"] != "sms":
        return "AuthFailure.SignatureFailure", "credential scope does not match the timestamp date or service sms"
    signed = match["signed"].split(";")
    if "content-type" not in signed or "host" not in signed or signed != sorted(signed):
        return "AuthFailure.SignatureFailure", "SignedHeaders must list content-type and host, sorted"
    if any(name not in headers for name in signed):
        return "AuthFailure.SignatureFailure", "a signed header is missing"
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in signed)
    canonical = f"{method}\n{path}\n{query}\n{canonical_headers}\n{match['signed']}\n{hashlib.sha256(body).hexdigest()}"
    scope = f"{date}/sms/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = hmac.new(("TC3" + secret).encode(), date.encode(), hashlib.sha256).digest()
    key = hmac.new(key, b"sms", hashlib.sha256).digest()
    key = hmac.new(key, b"tc3_request", hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["signature"]):
        return "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
    return None


def is_domestic(phone: str) -> bool:
    return phone.startswith("+86") or not phone.startswith("+")


class TencentFake(EmulatorBase):
    """The fake's state: credentials, apps, what was delivered, and failures to inject.

    ``fail_phone(phone, code)`` and ``fail_template(template_id, code)`` refuse those numbers in
    ``SendStatusSet``; ``fail_next_request(code)`` answers the next verified request with
    ``Response.Error``; ``templates`` (id → number of params) checks parameter counts when given.
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        sdk_app_ids: set[str] | None = None,
        templates: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = dict(credentials or {SECRET_ID: SECRET_KEY})
        self.sdk_app_ids = set(sdk_app_ids or {SDK_APP_ID})
        self.templates = dict(templates) if templates is not None else None
        self.clock = clock
        self.delivered: list[Delivery] = []
        self.phone_errors: dict[str, str] = {}
        self.template_errors: dict[str, str] = {}
        self.request_errors: list[str] = []
        self.server: FakeServer | None = None
        self._serials = itertools.count(1)
        self._pulled = 0  # deliveries whose status PullSmsSendStatus handed out
        self.failed_phones: set[str] = set()  # deliveries to these phones report FAIL
        self.replies: list[tuple[str, str, int]] = []

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per phone, without credentials."""
        return [
            {"phone": d.phone, "sign_name": d.sign_name, "template": d.template_id, "params": d.params}
            for d in self.delivered
        ]

    # -- knobs ---------------------------------------------------------------------------------

    def fail_phone(self, phone: str, code: str = "InvalidParameterValue.IncorrectPhoneNumber") -> None:
        self.phone_errors[phone] = code

    def fail_template(self, template_id: str, code: str = "FailedOperation.TemplateIncorrectOrUnapproved") -> None:
        self.template_errors[template_id] = code

    def fail_next_request(self, code: str = "RequestLimitExceeded", times: int = 1) -> None:
        self.request_errors.extend([code] * times)

    def receipt_pushes(self, deliveries: Sequence[Delivery], url: str, *, delivered: bool) -> list[Outgoing]:
        """One JSON array of status callbacks for the deliveries, as Tencent batches them."""
        return [json_push(url, [tencent_report(d.phone, d.serial_no, success=delivered) for d in deliveries])]

    # -- for tests -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        assert self.server is not None
        return self.server.requests

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings that reach this fake with its first credential."""
        secret_id, secret_key = next(iter(self.credentials.items()))
        base: dict[str, Any] = {
            "secret_id": secret_id,
            "secret_key": secret_key,
            "sdk_app_id": next(iter(sorted(self.sdk_app_ids))),
            "sign_name": "腾讯云",
            "endpoint": self.endpoint,
            "timeout": 10.0,
            "connect_timeout": 10.0,
        }
        base.update(overrides)
        return base

    # -- the API -------------------------------------------------------------------------------

    async def handle(self, request: Received) -> web.Response:
        return web.json_response({"Response": {**self.answer(request), "RequestId": str(uuid.uuid4())}})

    def answer(self, request: Received) -> dict[str, Any]:
        h = request.headers
        if request.method != "POST" or request.path != "/":
            return _error("UnsupportedProtocol", "only POST / is served")
        action = h.get("x-tc-action")
        if action not in _ACTIONS:
            return _error("InvalidAction", f"X-TC-Action must be one of {', '.join(_ACTIONS)}")
        if h.get("x-tc-version") != "2021-01-11":
            return _error("NoSuchVersion", "X-TC-Version must be 2021-01-11")
        if not h.get("x-tc-region"):
            return _error("MissingParameter", "X-TC-Region is required")
        problem = verify_tc3("POST", "/", request.raw_query, h, request.body, self.credentials, self.clock())
        if problem is not None:
            return _error(*problem)
        if self.request_errors:
            code = self.request_errors.pop(0)
            return _error(code, f"{code} (injected)")
        try:
            body = json.loads(request.body)
        except ValueError:
            return _error("FailedOperation.JsonParseFail", "the body is not JSON")
        if not isinstance(body, dict):
            return _error("FailedOperation.JsonParseFail", "the body is not a JSON object")
        if action == "PullSmsSendStatus":
            return self._pull_status(body)
        if action == "PullSmsReplyStatus":
            return self._pull_replies(body)
        return self._send(body)

    def reply(self, phone: str, text: str) -> None:
        """A reply from ``phone`` (E.164) that ``PullSmsReplyStatus`` hands out next."""
        self.replies.append((phone, text, int(self.clock())))

    def _pull_status(self, body: dict[str, Any]) -> dict[str, Any]:
        """Each delivery's status once, as Tencent does (``failed_phones`` report FAIL)."""
        new = self.delivered[self._pulled : self._pulled + int(body.get("Limit") or 100)]
        self._pulled += len(new)
        rows = []
        for d in new:
            ok = d.phone not in self.failed_phones
            rows.append(
                {
                    "UserReceiveTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self.clock() + 8 * 3600)),
                    "CountryCode": "86",
                    "SubscriberNumber": d.phone.removeprefix("+86"),
                    "PhoneNumber": d.phone,
                    "SerialNo": d.serial_no,
                    "ReportStatus": "SUCCESS" if ok else "FAIL",
                    "Description": "DELIVRD" if ok else "MK:0001",
                    "SessionContext": d.session_context,
                }
            )
        return {"PullSmsSendStatusSet": rows}

    def _pull_replies(self, body: dict[str, Any]) -> dict[str, Any]:
        new, self.replies = self.replies, []
        rows = [
            {
                "CountryCode": "86",
                "SubscriberNumber": phone.removeprefix("+86"),
                "PhoneNumber": phone,
                "ReplyTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when + 8 * 3600)),
                "ReplyUnixTime": when,
                "ExtendCode": "",
                "SignName": "Acme",
                "ReplyContent": text,
            }
            for phone, text, when in new
        ]
        return {"PullSmsReplyStatusSet": rows}

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        app_id, template_id = body.get("SmsSdkAppId"), body.get("TemplateId")
        if not isinstance(app_id, str) or not isinstance(template_id, str):
            return _error("MissingParameter", "SmsSdkAppId and TemplateId are required strings")
        if app_id not in self.sdk_app_ids:
            return _error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist")
        phones = body.get("PhoneNumberSet")
        if not phones:
            return _error("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty")
        if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
            return _error("InvalidParameter", "PhoneNumberSet must be a list of strings")
        if len(phones) > MAX_NUMBERS:
            return _error("LimitExceeded.PhoneNumberCountLimit", f"more than {MAX_NUMBERS} numbers")
        if len({is_domestic(p) for p in phones}) > 1:
            return _error(
                "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
                "domestic and international numbers in one request",
            )
        params = body.get("TemplateParamSet", [])
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return _error("InvalidParameter", "TemplateParamSet must be a list of strings")
        sign_name = body.get("SignName")
        context = str(body.get("SessionContext", ""))
        rows = []
        for phone in phones:
            code = self._refusal(phone, template_id, params, sign_name)
            if code is not None:
                rows.append(
                    {
                        "SerialNo": "",
                        "PhoneNumber": phone,
                        "Fee": 0,
                        "SessionContext": "",
                        "Code": code,
                        "Message": f"{code} (fake)",
                        "IsoCode": "",
                    }
                )
                continue
            serial = f"5000:{next(self._serials):020d}"
            self.delivered.append(Delivery(phone, template_id, params, sign_name, serial, app_id, context))
            rows.append(
                {
                    "SerialNo": serial,
                    "PhoneNumber": phone,
                    "Fee": 1,
                    "SessionContext": context,
                    "Code": "Ok",
                    "Message": "send success",
                    "IsoCode": "CN" if is_domestic(phone) else "XX",
                }
            )
        return {"SendStatusSet": rows}

    def _refusal(self, phone: str, template_id: str, params: list[str], sign_name: Any) -> str | None:
        if phone in self.phone_errors:
            return self.phone_errors[phone]
        if not _E164.fullmatch(phone):
            return "InvalidParameterValue.IncorrectPhoneNumber"
        if template_id in self.template_errors:
            return self.template_errors[template_id]
        if self.templates is not None and self.templates.get(template_id) != len(params):
            return "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
        if is_domestic(phone) and not sign_name:
            return "FailedOperation.SignatureIncorrectOrUnapproved"
        return None


_ACTIONS = ("SendSms", "PullSmsSendStatus", "PullSmsReplyStatus")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"Error": {"Code": code, "Message": message}}


# -- receipts (provider-specs-2 §21.2): JSON arrays, unsigned -----------------------------------


def tencent_report(phone_e164: str, sid: str, *, success: bool = True) -> dict[str, Any]:
    """One status callback row."""
    nation, mobile = ("86", phone_e164[3:]) if phone_e164.startswith("+86") else ("1", phone_e164[2:])
    return {
        "user_receive_time": beijing(time.time()),
        "nationcode": nation,
        "mobile": mobile,
        "report_status": "SUCCESS" if success else "FAIL",
        "errmsg": "DELIVRD" if success else "MK:0001",
        "description": "用户短信送达成功" if success else "failed",
        "sid": sid,
    }


def tencent_reply(mobile: str, text: str) -> dict[str, Any]:
    """One reply callback row (an inbound message)."""
    return {"extend": "", "mobile": mobile, "nationcode": "86", "sign": "Acme", "text": text, "time": int(time.time())}
