"""A fake Huawei Cloud MSGSMS ``batchSendSms/v1`` that authenticates as Huawei does.

It requires a form body (E000040), checks the ``Authorization`` realm/profile/type
(E000001-E000008) and parses ``X-WSSE`` (E000020-E000027), rejects a ``Created`` more than 24 h
away (E000110) and a wrong digest (401 E000101), accepting both digest encodings (base64 of the
hex string, base64 of the raw bytes). AK/SK ``SDK-HMAC-SHA256`` requests are verified too. Replies
carry ``code`` + ``description`` (+ ``result`` per number; E000510 when some numbers failed).
The checks follow the spec's reference algorithm (provider-specs §3.2, §7.0), not the provider.

Which of E000024-E000027 Huawei returns for which X-WSSE defect is not documented; this fake's
choice is in :func:`check_wsse`.
"""

from __future__ import annotations

import base64
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
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web

from ._base import EmulatorBase
from ._outgoing import Outgoing
from .server import FakeServer, Received

APP_KEY = "fakeHuaweiAppKey0000000000"
APP_SECRET = "fake-huawei-app-secret-0123456789"
SENDER = "8824110605000"
PATH = "/sms/batchSendSms/v1"
MAX_NUMBERS = 500
WSSE_WINDOW = 24 * 3600
AKSK_WINDOW = 15 * 60

Problem = tuple[int, str, str]  # HTTP status, code, description

_PAIR = re.compile(r'(\w+)="([^"]*)"')
_AKSK = re.compile(
    r"SDK-HMAC-SHA256 Access=(?P<key>[^,\s]+), SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})"
)


@dataclass
class Delivery:
    """One number the fake accepted."""

    phone: str
    template_id: str
    params: list[str]
    sender: str
    signature: str | None
    sms_msg_id: str
    extend: str | None
    status_callback: str | None


def _pairs(text: str) -> dict[str, str] | None:
    """``k="v",k="v"`` exactly (no spaces), or ``None``."""
    pairs = _PAIR.findall(text)
    if not pairs or ",".join(f'{k}="{v}"' for k, v in pairs) != text:
        return None
    return dict(pairs)


def check_wsse(headers: Mapping[str, str], credentials: Mapping[str, str], now: float) -> Problem | None:
    """Huawei's verdict on ``Authorization`` + ``X-WSSE``; ``None`` when they authenticate."""
    auth = headers.get("authorization")
    if auth is None:
        return 400, "E000001", "Authorization not contained in the HTTP header."
    if not auth.startswith("WSSE "):
        return 400, "E000008", "WSSE not contained in Authorization."
    fields = _pairs(auth[5:]) or {}
    for name, missing, wanted, wrong in (
        ("realm", "E000002", "SDP", "E000004"),
        ("profile", "E000003", "UsernameToken", "E000005"),
        ("type", "E000007", "Appkey", "E000006"),
    ):
        if name not in fields:
            return 400, missing, f"{name} not contained in Authorization."
        if fields[name] != wanted:
            return 400, wrong, f"The value of {name} in Authorization must be {wanted}."
    wsse = headers.get("x-wsse")
    if wsse is None:
        return 400, "E000020", "X-WSSE not contained in the HTTP header."
    token = _pairs(wsse[len("UsernameToken ") :]) if wsse.startswith("UsernameToken ") else None
    if token is None:
        return 400, "E000025", 'X-WSSE is not a UsernameToken of key="value" pairs.'
    for name, code in (
        ("Username", "E000021"),
        ("Nonce", "E000022"),
        ("Created", "E000023"),
        ("PasswordDigest", "E000024"),
    ):
        if not token.get(name):
            return 400, code, f"{name} not contained in X-WSSE."
    if not re.fullmatch(r"[0-9A-Za-z]{1,128}", token["Nonce"]):
        return 400, "E000026", "Nonce must be 1-128 letters or digits."
    try:
        created = datetime.datetime.strptime(token["Created"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc
        )
    except ValueError:
        return 400, "E000027", "Created must be YYYY-MM-DDTHH:MM:SSZ."
    secret = credentials.get(token["Username"])
    if secret is None:
        return 401, "E000102", "Invalid app_key."
    if abs(now - created.timestamp()) > WSSE_WINDOW:
        return 401, "E000110", "Created is outside the allowed time window."
    digest = hashlib.sha256((token["Nonce"] + token["Created"] + secret).encode())
    accepted = {base64.b64encode(digest.hexdigest().encode()).decode(), base64.b64encode(digest.digest()).decode()}
    if token["PasswordDigest"] not in accepted:
        return 401, "E000101", "Authentication failed."
    return None


def check_aksk(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    now: float,
) -> Problem | None:
    """Huawei's verdict on an ``SDK-HMAC-SHA256`` signed request; ``None`` when it verifies."""
    match = _AKSK.fullmatch(headers.get("authorization", ""))
    if match is None:
        return 401, "E000045", "Authorization is not a valid SDK-HMAC-SHA256 signature."
    secret = credentials.get(match["key"])
    if secret is None:
        return 401, "E000102", "Invalid app_key."
    signed = match["signed"].split(";")
    if signed != sorted(signed) or not {"host", "x-sdk-date"} <= set(signed) or any(n not in headers for n in signed):
        return 401, "E000045", "SignedHeaders must be sorted, present, and include host and x-sdk-date."
    try:
        date = datetime.datetime.strptime(headers["x-sdk-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return 401, "E000045", "X-Sdk-Date must be YYYYMMDDTHHMMSSZ."
    if abs(now - date.timestamp()) > AKSK_WINDOW:
        return 401, "E000110", "X-Sdk-Date is outside the allowed time window."
    claimed = headers.get("x-sdk-content-sha256")
    payload = "UNSIGNED-PAYLOAD" if claimed == "UNSIGNED-PAYLOAD" else hashlib.sha256(body).hexdigest()
    canonical_query = "&".join(sorted(query.split("&"))) if query else ""
    canonical = (
        f"{method}\n{path if path.endswith('/') else path + '/'}\n{canonical_query}\n"
        + "".join(f"{n}:{headers[n].strip()}\n" for n in signed)
        + f"\n{match['signed']}\n{payload}"
    )
    to_sign = f"SDK-HMAC-SHA256\n{headers['x-sdk-date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match["sig"]):
        return 401, "E000045", "Authorization check failed: the signature does not match."
    return None


class HuaweiFake(EmulatorBase):
    """The fake's state: credentials, sender channels, deliveries, and failures to inject.

    ``fail_phone(phone, status)`` and ``fail_template(template_id, status)`` refuse those numbers
    (E000510 with per-number statuses); ``fail_next_request(http_status, code)`` answers the next
    authenticated request with a request-level error; ``templates`` (id → number of params)
    checks parameter counts when given.
    """

    def __init__(
        self,
        *,
        credentials: Mapping[str, str] | None = None,
        senders: set[str] | None = None,
        templates: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = dict(credentials or {APP_KEY: APP_SECRET})
        self.senders = set(senders or {SENDER})
        self.templates = dict(templates) if templates is not None else None
        self.clock = clock
        self.delivered: list[Delivery] = []
        self.phone_errors: dict[str, str] = {}
        self.template_errors: dict[str, str] = {}
        self.request_errors: list[Problem] = []
        self.server: FakeServer | None = None
        self._ids = itertools.count(1)

    def summaries(self) -> list[dict[str, Any]]:
        """What was delivered, one dict per phone, without credentials."""
        keep = ("phone", "sender", "signature", "template_id", "params")
        return [{k.removesuffix("_id"): getattr(d, k) for k in keep} for d in self.delivered]

    # -- knobs ---------------------------------------------------------------------------------

    def fail_phone(self, phone: str, status: str = "E200031") -> None:
        self.phone_errors[phone] = status

    def fail_template(self, template_id: str, status: str = "E200030") -> None:
        self.template_errors[template_id] = status

    def fail_next_request(
        self, http_status: int = 429, code: str = "E000000", description: str = "", times: int = 1
    ) -> None:
        self.request_errors.extend([(http_status, code, description or f"{code} (injected)")] * times)

    def receipt_pushes(
        self, deliveries: Sequence[Delivery], url: str, *, delivered: bool, aksk: bool = False
    ) -> list[Outgoing]:
        """A form status report for each delivery; signed with the first AK/SK when ``aksk``."""
        pushes = []
        for d in deliveries:
            body = urlencode(huawei_report(d.sms_msg_id, d.phone, "DELIVRD" if delivered else "UNDELIV")).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            if aksk:
                headers = huawei_signed(url, body, *next(iter(self.credentials.items())))
            pushes.append(Outgoing("POST", url, headers, body))
        return pushes

    # -- for tests -----------------------------------------------------------------------------

    @property
    def requests(self) -> list[Received]:
        assert self.server is not None
        return self.server.requests

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Provider settings that reach this fake with its first credential."""
        app_key, app_secret = next(iter(self.credentials.items()))
        base: dict[str, Any] = {
            "app_key": app_key,
            "app_secret": app_secret,
            "sender": next(iter(sorted(self.senders))),
            "endpoint": self.endpoint,
            "timeout": 10.0,
            "connect_timeout": 10.0,
        }
        base.update(overrides)
        return base

    # -- the API -------------------------------------------------------------------------------

    async def handle(self, request: Received) -> web.Response:
        if request.method != "POST" or request.path != PATH:
            return web.Response(status=404, text="Not Found")
        status, body = self.answer(request)
        return web.json_response(body, status=status, content_type="application/json")

    def answer(self, request: Received) -> tuple[int, dict[str, Any]]:
        h = request.headers
        if not h.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _error(400, "E000040", "The Content-Type must be application/x-www-form-urlencoded.")
        if h.get("authorization", "").startswith("SDK-HMAC-SHA256 "):
            args = (request.method, request.path, request.raw_query, h, request.body, self.credentials, self.clock())
            problem = check_aksk(*args)
        else:
            problem = check_wsse(h, self.credentials, self.clock())
        if problem is not None:
            return _error(*problem)
        if self.request_errors:
            return _error(*self.request_errors.pop(0))
        try:
            form = dict(parse_qsl(request.body.decode(), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            return _error(400, "E000000", "System error: the form cannot be parsed.")
        return self._send(form)

    def _send(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        sender, to, template_id = form.get("from"), form.get("to"), form.get("templateId")
        if not sender or not to or not template_id:
            return _error(400, "E000503", "from, to and templateId are required.")
        phones = to.split(",")
        if len(phones) > MAX_NUMBERS or not all(re.fullmatch(r"\+\d{1,20}", p) for p in phones):
            return _error(400, "E000503", f"to must be at most {MAX_NUMBERS} comma-separated +numbers.")
        try:
            params = json.loads(form.get("templateParas", "[]"))
        except ValueError:
            params = None
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            return _error(400, "E000000", "System error: templateParas must be a JSON array of strings.")
        rows, seen = [], set[str]()
        for phone in phones:
            status = self._refusal(phone, seen, sender, template_id, params)
            seen.add(phone)
            msg_id = ""
            if status == "000000":
                msg_id = f"{uuid.uuid4()}_{next(self._ids)}"
                self.delivered.append(
                    Delivery(
                        phone,
                        template_id,
                        params,
                        sender,
                        form.get("signature"),
                        msg_id,
                        form.get("extend"),
                        form.get("statusCallback"),
                    )
                )
            rows.append(
                {
                    "originTo": phone,
                    "createTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "from": sender,
                    "smsMsgId": msg_id,
                    "status": status,
                    "countryId": "CN" if phone.startswith("+86") else "",
                    "total": 1,
                }
            )
        if all(row["status"] == "000000" for row in rows):
            return 200, {"code": "000000", "description": "Success", "result": rows}
        description = "The SMS fails to be sent. For details, see status."
        return 400, {"code": "E000510", "description": description, "result": rows}

    def _refusal(self, phone: str, seen: set[str], sender: str, template_id: str, params: list[str]) -> str:
        if phone in seen:
            return "E200041"
        if phone in self.phone_errors:
            return self.phone_errors[phone]
        if sender not in self.senders:
            return "E200018"
        if template_id in self.template_errors:
            return self.template_errors[template_id]
        if self.templates is not None and self.templates.get(template_id) != len(params):
            return "E200028"
        return "000000"


def _error(status: int, code: str, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "description": description}


# -- receipts (provider-specs-2 §21.3): a form per report, SDK-HMAC-SHA256 when AK/SK is on -----------


def huawei_report(sms_msg_id: str, to: str, status: str = "DELIVRD") -> dict[str, str]:
    """One status report's form fields."""
    return {
        "smsMsgId": sms_msg_id,
        "total": "1",
        "sequence": "1",
        "status": status,
        "source": "2",
        "updateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "orgCode": "DELIVRD" if status == "DELIVRD" else "UNDELIV",
        "to": to,
    }


def huawei_signed(
    url: str, body: bytes, app_key: str, app_secret: str, *, when: float | None = None, payload: str | None = None
) -> dict[str, str]:
    """Headers of a push signed with AK/SK (§3.2 reference), the body hash signed unless ``payload``."""
    parts = urlsplit(url)
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "host": parts.netloc,
        "x-sdk-content-sha256": payload or hashlib.sha256(body).hexdigest(),
        "x-sdk-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() if when is None else when)),
    }
    names = sorted(headers)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    canonical = "\n".join(
        ["POST", path, "", "".join(f"{k}:{headers[k]}\n" for k in names), ";".join(names), headers[names[2]]]
    )
    sts = f"SDK-HMAC-SHA256\n{headers['x-sdk-date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(app_secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    auth = f"SDK-HMAC-SHA256 Access={app_key}, SignedHeaders={';'.join(names)}, Signature={signature}"
    return {**headers, "authorization": auth}
