"""``netease``: NetEase Yunxin (网易云信) template SMS, up to 100 mainland numbers a request.

``POST https://api.netease.im/sms/sendtemplate.action`` with a form body (``templateid``,
``mobiles`` and ``params`` as JSON array strings, params in the template's order) and the headers
``AppKey``, ``Nonce``, ``CurTime`` and ``CheckSum`` (hex SHA-1 of app secret, nonce and time). The
answer is ``{"code": 200, "msg", "obj": <send id>}``, one id for the request; any other ``code``
is a refusal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable, Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._errors import Category, InvalidRequest, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["NeteaseProvider", "NeteaseSettings", "netease_checksum"]

API_HOST = "api.netease.im"
_CATEGORIES = {
    **dict.fromkeys([315, 403], Category.AUTH),  # IP not allowed, no permission
    419: Category.QUOTA,  # quota exceeded
    414: Category.INVALID,  # bad parameters (a bad checksum says so too)
}


def netease_checksum(app_secret: str, nonce: str, cur_time: str) -> str:
    """``CheckSum``: lowercase hex SHA-1 of the app secret, the nonce and the time, concatenated."""
    return hashlib.sha1(f"{app_secret}{nonce}{cur_time}".encode()).hexdigest()


class NeteaseSettings(ProviderSettings):
    app_key: str = Field(..., min_length=1, description="the application's AppKey")
    app_secret: SecretStr = Field(..., description="the application's AppSecret")
    param_order: list[str] | None = Field(None, description="which named param fills the template's first place, …")


class NeteaseProvider(Provider):
    """NetEase Yunxin. Settings: ``app_key``, ``app_secret``; optional ``param_order``, ``endpoint``."""

    name = "netease"
    settings_model = NeteaseSettings
    max_recipients = 100
    positional_params = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url = f"{self.endpoint.base}/sms/sendtemplate.action"

    def check(self, message: Outgoing) -> None:
        super().check(message)
        for phone in message.phones:
            if not phone.is_mainland_china:  # NetEase's international format is not documented well enough
                raise InvalidRequest(f"provider {self.alias!r} sends to mainland China only: {phone.e164}", field="to")

    def batch_key(self, message: Message, phone: PhoneNumber) -> Hashable:
        """Equal params share a request (the template's params are the request's)."""
        return tuple(message.ordered_params(phone, self.param_order))

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: NeteaseSettings = self.settings
        nonce, now = self.nonce(), str(int(self.clock()))
        form = {
            "templateid": self.template(message) or "",
            "mobiles": json.dumps([p.national_number for p in recipients]),
            "params": json.dumps(message.ordered_params(recipients[0], self.param_order), ensure_ascii=False),
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
            "AppKey": s.app_key,
            "Nonce": nonce,
            "CurTime": now,
            "CheckSum": netease_checksum(s.app_secret.get_secret_value(), nonce, now),
        }
        return self.request("POST", self._url, recipients, headers=headers, body=urlencode(form).encode())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or not isinstance(data.get("code"), int):
            raise self.http_error(response, raw=data if data is not None else response.text)
        if data["code"] == 200:
            ident = str(data.get("obj") or "") or None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        raise self.refusal(data["code"], str(data.get("msg") or ""), data)

    def refusal(self, code: int, text: str, data: Any) -> SmsError:
        """The error a ``code`` other than 200 stands for; 417, 418, 500 and unlisted codes are unknown outcomes."""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": str(code), "provider_message": text or None}
        if code == 416:  # frequency control: a window, not now
            return Throttled(f"rate limited: {text or code}", retryable=False, raw=data, **kw)
        category = _CATEGORIES.get(code)
        if category is None:
            return OutcomeUnknown(f"no usable verdict ({code}): {text}", raw=data, **kw)
        return Rejected(f"refused: {text or code}", category=category, raw=data, **kw)
