"""``baidu``: Baidu Cloud SMS v3 template messages, up to 200 numbers a request.

``POST https://smsv3.bj.baidubce.com/api/v3/sendSms?clientToken=…`` with a JSON body: ``mobile``
(comma-separated; mainland numbers national, others E.164 with ``+``), ``template``, ``signatureId``,
``contentVar`` (the named params) and ``custom`` (the out id); signed ``bce-auth-v1`` over
``content-type;host;x-bce-date``. The answer is ``{"code": "1000", "data": [...]}`` with a code and
``messageId`` per number, or another top-level ``code``. ``clientToken`` is the same for every try
of a request, so Baidu answers a retry (``retry_unknown=True``) with the first result, sending once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._baidu_sign import bce_authorization
from .base import Provider, ProviderSettings

__all__ = ["BaiduProvider", "BaiduSettings", "bce_authorization"]

API_HOST = "smsv3.bj.baidubce.com"
PATH = "/api/v3/sendSms"
CONTENT_TYPE = "application/json;charset=utf-8"
SIGNED = ("content-type", "host", "x-bce-date")
_CATEGORIES = {
    "6002": Category.AUTH,  # AK/SK, signature, permission, IP allow-list
    **dict.fromkeys(["6005", "6012", "6013"], Category.QUOTA),  # disabled, in arrears, no SMS package
    "6006": Category.TEMPLATE,  # the signature (签名) is not usable
    **dict.fromkeys(["4501", "4502", "4504", "4505", "4506", "4508", "4511", "4512", "4518"], Category.INVALID),
    **dict.fromkeys(["4503", "4507"], Category.RECIPIENT),  # phone format, invalid phone
    **dict.fromkeys(["4601", "4602", "4603", "4605", "4606", "4607", "4608", "4609", "4610"], Category.TEMPLATE),
    **dict.fromkeys(["4641", "4642", "4643", "4651", "4652", "4653"], Category.RECIPIENT),  # blacklists
}


class BaiduSettings(ProviderSettings):
    access_key_id: str = Field(..., min_length=1, description="the access key (AK)")
    secret_access_key: SecretStr = Field(..., description="the secret key (SK)")
    signature_id: str | None = Field(None, description="the default signature id (sms-sign-…)")


class BaiduProvider(Provider):
    """Baidu Cloud SMS v3. Settings: ``access_key_id``, ``secret_access_key``; optional
    ``signature_id``, ``endpoint`` (``smsv3.su.baidubce.com`` for Suzhou)."""

    name = "baidu"
    settings_model = BaiduSettings
    max_recipients = 200
    default_endpoint = API_HOST
    sign_name_setting = "signature_id"

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: BaiduSettings = self.settings
        payload: dict[str, Any] = {
            "mobile": ",".join(p.national_number if p.is_mainland_china else p.e164 for p in recipients),
            "template": self.template(message),
            "signatureId": self.sign_name(message),
            "contentVar": message.params_for(recipients[0]),
        }
        if message.out_id:
            payload["custom"] = message.out_id
        body = json.dumps(payload, ensure_ascii=False).encode()
        query = {"clientToken": self.client_token(message, recipients)}
        date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
        headers = {"Content-Type": CONTENT_TYPE, "Host": self.endpoint.host, "x-bce-date": date}
        secret = s.secret_access_key.get_secret_value()
        headers["Authorization"] = bce_authorization(
            s.access_key_id, secret, "POST", PATH, query, headers, SIGNED, date
        )
        url = f"{self.endpoint.base}{PATH}?{urlencode(query)}"
        return self.request("POST", url, recipients, headers=headers, body=body)

    def client_token(self, message: Message, recipients: Sequence[PhoneNumber]) -> str:
        """Baidu's idempotency key: the same for every try of the same request (this message, these
        numbers, this provider), so Baidu answers a retry with the first result and sends nothing
        again. Seeded by the message's ``idempotency_key`` when it has one (stable across processes),
        else by a random value kept with the message object."""
        seed = message.idempotency_key or _seed(message)
        numbers = ",".join(p.e164 for p in recipients)
        digest = hashlib.sha256(f"{seed}|{self.alias}|{numbers}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16]))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        body = data if isinstance(data, dict) else {}
        code, text = str(body.get("code") or ""), str(body.get("message") or "")
        raw = data if data is not None else response.text
        if response.status == 429:  # undocumented: the request may have been processed
            said = "rate limited (HTTP 429), the message may have been sent"
            raise OutcomeUnknown(said, provider=self.alias, provider_code="HTTP 429", raw=raw)
        if response.status != 200 or code != "1000" or not isinstance(body.get("data"), list):
            raise self.http_error(response, code=code or None, text=text or None, raw=raw)
        rows = {str(r.get("mobile")): r for r in body["data"] if isinstance(r, dict)}
        return [self._row(phone, rows, data) for phone in request.recipients]

    def _row(self, phone: PhoneNumber, rows: dict[str, Any], raw: Any) -> RecipientResult:
        row = rows.get(phone.national_number if phone.is_mainland_china else phone.e164) or rows.get(phone.e164)
        if row is None:  # answered, but not about this number: it may have been sent
            missing = OutcomeUnknown("the reply does not mention this number", provider=self.alias, raw=raw)
            return RecipientResult.failed(phone, missing, self.alias, raw=raw)
        code, text = str(row.get("code") or ""), str(row.get("message") or "")
        if code == "1000":
            return self.accepted(phone, str(row.get("messageId") or "") or None, raw=row)
        return RecipientResult.failed(phone, self.refusal(code, text, row), self.alias, raw=row)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        return self.refusal(code, text, kw["raw"])

    def refusal(self, code: str, text: str, raw: Any) -> SmsError:
        """The error a Baidu ``code`` stands for: undocumented codes are unknown outcomes."""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": code, "provider_message": text or None}
        category = _CATEGORIES.get(code)
        if category is None:  # frequency limits and anything else undocumented: may have been processed
            return OutcomeUnknown(f"no usable verdict ({code}): {text}", raw=raw, **kw)
        return Rejected(f"refused: {text or code}", category=category, raw=raw, **kw)


_SEEDS: weakref.WeakKeyDictionary[Message, str] = weakref.WeakKeyDictionary()
_SEEDS_LOCK = threading.Lock()


def _seed(message: Message) -> str:
    with _SEEDS_LOCK:
        return _SEEDS.setdefault(message, secrets.token_hex(16))
