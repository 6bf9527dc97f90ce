"""``chuanglan``: Chuanglan 253 template SMS, up to 1,000 numbers a request, each with its own params.

``POST https://smssh.253.com/msg/sms/v2/tpl/send`` with a JSON body carrying the API account and
password, ``phoneNumbers`` (comma-separated), ``templateId`` and ``templateParamJson`` (a JSON
string of an array, one params object per number, in order). The answer is
``{"code": "000000", "msgId", "successNum", "failNum", "errorMsg"}``: one id for the request and
counts only, so a request with some numbers failed leaves each number's outcome unknown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import Field, SecretStr

from .._errors import InvalidRequest, OutcomeUnknown
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from ._chuanglan_errors import code_error
from .base import Provider, ProviderSettings

__all__ = ["ChuanglanProvider", "ChuanglanSettings"]

API_HOST = "smssh.253.com"
SUCCESS = "000000"


class ChuanglanSettings(ProviderSettings):
    account: str = Field(..., min_length=1, description="the API account (not the console login)")
    password: SecretStr = Field(..., description="the API account's password")
    sign_name: str | None = Field(None, description="the default signature (签名)")
    callback_url: str | None = Field(None, description="URL 253 calls with delivery reports")


class ChuanglanProvider(Provider):
    """Chuanglan 253. Settings: ``account``, ``password``; optional ``sign_name``, ``callback_url``, ``endpoint``."""

    name = "chuanglan"
    settings_model = ChuanglanSettings
    max_recipients = 1000
    per_recipient_params = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url = f"{self.endpoint.base}/msg/sms/v2/tpl/send"
        self._headers = {"Content-Type": "application/json;charset=utf-8", "Accept": "application/json"}

    def check(self, message: Outgoing) -> None:
        super().check(message)
        for phone in message.phones:
            if not phone.is_mainland_china:  # the international API is another product
                raise InvalidRequest(f"provider {self.alias!r} sends to mainland China only: {phone.e164}", field="to")

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: ChuanglanSettings = self.settings
        body: dict[str, Any] = {
            "account": s.account,
            "password": s.password.get_secret_value(),
            "phoneNumbers": ",".join(p.national_number for p in recipients),
            "templateId": self.template(message),
            "templateParamJson": json.dumps([message.params_for(p) for p in recipients], ensure_ascii=False),
            "report": "true",
        }
        sign = self.sign_name(message)
        if sign:
            body["signature"] = sign
        if s.callback_url:
            body["callbackUrl"] = s.callback_url
        if message.out_id:
            body["uid"] = message.out_id
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or "code" not in data:
            raise self.http_error(response, raw=data if data is not None else response.text)
        code, text = str(data["code"]), str(data.get("errorMsg") or "")
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": code, "provider_message": text or None}
        if code != SUCCESS:
            raise code_error(code, text, {**kw, "raw": data})
        ident = str(data.get("msgId") or "") or None
        if _count(data.get("failNum")):  # counts only: which numbers failed is not said
            unsure = OutcomeUnknown(f"{data.get('failNum')} of the request's numbers failed; which is not said", **kw)
            return [RecipientResult.failed(phone, unsure, self.alias, raw=data) for phone in request.recipients]
        return [self.accepted(phone, ident, raw=data) for phone in request.recipients]


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
