"""``yunpian``: Yunpian (云片) text SMS, one number a request.

``POST https://sms.yunpian.com/v2/sms/single_send.json`` with a form body (``apikey``, ``mobile``,
``text`` — the full text, signature ``【…】`` first — and ``uid``, ``callback_url``); no signing,
the API key is the credential. The answer is ``{"code": 0, "msg", "count", "fee", "sid"}`` (``sid`` a
64-bit id), or a non-zero ``code`` with HTTP 400.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._yunpian_errors import code_error
from .base import Provider, ProviderSettings

__all__ = ["YunpianProvider", "YunpianSettings"]

API_HOST = "sms.yunpian.com"


class YunpianSettings(ProviderSettings):
    apikey: SecretStr = Field(..., description="the account's API key")
    sign_name: str | None = Field(None, description="the signature put first in the text as 【…】")
    callback_url: str | None = Field(None, description="URL Yunpian posts delivery reports to")


class YunpianProvider(Provider):
    """Yunpian. Settings: ``apikey``; optional ``sign_name``, ``callback_url``, ``endpoint`` (``us.yunpian.com``
    abroad). Sends the message's ``text``, with the signature first."""

    name = "yunpian"
    settings_model = YunpianSettings
    max_recipients = 1
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url = f"{self.endpoint.base}/v2/sms/single_send.json"
        self._headers = {
            "Content-Type": "application/x-www-form-urlencoded;charset=utf-8",
            "Accept": "application/json",
        }

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        s: YunpianSettings = self.settings
        sign = self.sign_name(message)
        text = message.render(phone)
        form = {
            "apikey": s.apikey.get_secret_value(),
            "mobile": phone.national_number if phone.is_mainland_china else phone.e164,
            "text": f"【{sign}】{text}" if sign and not text.startswith("【") else text,
        }
        if message.out_id:
            form["uid"] = message.out_id
        if s.callback_url:
            form["callback_url"] = s.callback_url
        return self.request("POST", self._url, recipients, headers=self._headers, body=urlencode(form).encode())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if not isinstance(data, dict) or not isinstance(data.get("code"), int):
            raise self.http_error(response, raw=data if data is not None else response.text)
        code, text = data["code"], str(data.get("msg") or data.get("detail") or "")
        if code == 0 and response.status == 200:
            return [self.accepted(phone, str(data.get("sid") or "") or None, raw=data) for phone in request.recipients]
        if response.status >= 500:
            raise self.http_error(response, code=str(code), text=text, raw=data)
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": str(code), "provider_message": text or None}
        raise code_error(code, text, {**kw, "raw": data})
