"""``ronglian``: Ronglian / Yuntongxun (容联云通讯, Cloopen) template SMS, up to 100 mainland numbers a request.

``POST https://app.cloopen.com:8883/2013-12-26/Accounts/{accountSid}/SMS/TemplateSMS?sig={sig}`` with
``{"to": "n1,n2", "appId", "templateId", "datas": [positional params]}``, where the timestamp is
Beijing time ``yyyyMMddHHmmss``, ``sig = UPPER(hex(MD5(accountSid + authToken + timestamp)))`` and
``Authorization = base64(accountSid:timestamp)``. The answer is ``{"statusCode": "000000",
"templateSMS": {"smsMessageSid"}}`` (one id for the request) or another ``statusCode``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Hashable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import orjson
from pydantic import Field, SecretStr

from .._errors import Category, InvalidRequest, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["RonglianProvider", "RonglianSettings", "ronglian_auth"]

API_HOST = "app.cloopen.com:8883"
BEIJING = timezone(timedelta(hours=8))
_CATEGORIES = {
    "111109": Category.AUTH,  # signature check failed
    "160032": Category.TEMPLATE,  # template invalid
    **dict.fromkeys(["112300", "112310", "160034", "160042"], Category.RECIPIENT),  # number invalid, blacklisted
}
_WINDOWS = {"160038", "160040"}  # verification-code frequency and daily caps


def ronglian_auth(account_sid: str, auth_token: str, timestamp: str) -> tuple[str, str]:
    """``(sig, Authorization)`` for a request made at ``timestamp`` (Beijing time, ``yyyyMMddHHmmss``)."""
    sig = hashlib.md5(f"{account_sid}{auth_token}{timestamp}".encode()).hexdigest().upper()
    return sig, base64.b64encode(f"{account_sid}:{timestamp}".encode()).decode()


class RonglianSettings(ProviderSettings):
    account_sid: str = Field(..., min_length=1, description="the main account's ACCOUNT SID")
    auth_token: SecretStr = Field(..., description="the main account's AUTH TOKEN")
    app_id: str = Field(..., min_length=1, description="the application's APP ID")
    param_order: list[str] | None = Field(None, description="which named param fills datas[0], datas[1], …")


class RonglianProvider(Provider):
    """Ronglian. Settings: ``account_sid``, ``auth_token``, ``app_id``; optional ``param_order``, ``endpoint``."""

    name = "ronglian"
    settings_model = RonglianSettings
    max_recipients = 100
    positional_params = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: RonglianSettings = self.settings
        self._url = f"{self.endpoint.base}/2013-12-26/Accounts/{quote(s.account_sid, safe='')}/SMS/TemplateSMS"

    def check(self, message: Outgoing) -> None:
        super().check(message)
        for phone in message.phones:
            if not phone.is_mainland_china:  # the international API is another product
                raise InvalidRequest(f"provider {self.alias!r} sends to mainland China only: {phone.e164}", field="to")

    def batch_key(self, message: Message, phone: PhoneNumber) -> Hashable:
        """Equal params share a request (the template's params are the request's)."""
        return tuple(message.ordered_params(phone, self.param_order))

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: RonglianSettings = self.settings
        timestamp = datetime.fromtimestamp(self.clock(), BEIJING).strftime("%Y%m%d%H%M%S")
        sig, authorization = ronglian_auth(s.account_sid, s.auth_token.get_secret_value(), timestamp)
        body = {
            "to": ",".join(p.national_number for p in recipients),
            "appId": s.app_id,
            "templateId": self.template(message),
            "datas": message.ordered_params(recipients[0], self.param_order),
        }
        headers = {
            "Content-Type": "application/json;charset=utf-8",
            "Accept": "application/json",
            "Authorization": authorization,
        }
        return self.request("POST", f"{self._url}?sig={sig}", recipients, headers=headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or "statusCode" not in data:
            raise self.http_error(response, raw=data if data is not None else response.text)
        code, text = str(data["statusCode"]), str(data.get("statusMsg") or "")
        if code == "000000":
            sms: dict[str, Any] = data["templateSMS"] if isinstance(data.get("templateSMS"), dict) else {}
            ident = str(sms.get("smsMessageSid") or "") or None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        raise self.refusal(code, text, data)

    def refusal(self, code: str, text: str, data: Any) -> SmsError:
        """The error a ``statusCode`` stands for; undocumented codes (and ``160050``) are unknown outcomes."""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": code, "provider_message": text or None}
        if code in _WINDOWS:
            return Throttled(f"rate limited: {text or code}", retryable=False, raw=data, **kw)
        category = _CATEGORIES.get(code)
        if category is None:
            return OutcomeUnknown(f"no usable verdict ({code}): {text}", raw=data, **kw)
        return Rejected(f"refused: {text or code}", category=category, raw=data, **kw)
