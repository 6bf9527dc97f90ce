"""``submail``: Submail (赛邮) template SMS (``message/xsend``), one number a request.

``POST https://api.mysubmail.com/message/xsend.json`` with a form body: ``appid``, ``to``, ``project``
(the template), ``vars`` (a JSON object of named params), ``tag``, and the credential: the app key
in clear (``sign_type=normal``), or a digital signature (``md5``/``sha1``, ``sign_version=2``) over
``appid + appkey + k=v&… (sorted, vars and tag left out) + appid + appkey`` with a ``timestamp``.
The answer is ``{"status": "success", "send_id", "fee"}`` or ``{"status": "error", "code", "msg"}``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["SubmailProvider", "SubmailSettings", "submail_signature"]

API_HOST = "api.mysubmail.com"
_UNSIGNED = {"signature", "vars", "content", "multi", "tag"}


def submail_signature(appid: str, appkey: str, params: Mapping[str, str], sign_type: str) -> str:
    """The digital ``signature`` (sign_version 2) of ``params``, lowercase hex."""
    joined = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in _UNSIGNED)
    text = f"{appid}{appkey}{joined}{appid}{appkey}".encode()
    return hashlib.md5(text).hexdigest() if sign_type == "md5" else hashlib.sha1(text).hexdigest()


class SubmailSettings(ProviderSettings):
    appid: str = Field(..., min_length=1, description="the SMS app's APPID")
    appkey: SecretStr = Field(..., description="the SMS app's APPKEY")
    sign_type: Literal["normal", "md5", "sha1"] = Field("md5", description="normal sends the key in clear")


class SubmailProvider(Provider):
    """Submail. Settings: ``appid``, ``appkey``; optional ``sign_type``, ``endpoint``. The message's
    ``template`` is the Submail project id; ``params`` fill its ``@var(name)`` placeholders."""

    name = "submail"
    settings_model = SubmailSettings
    max_recipients = 1
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url = f"{self.endpoint.base}/message/xsend.json"
        self._headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        s: SubmailSettings = self.settings
        key = s.appkey.get_secret_value()
        form = {"appid": s.appid, "to": phone.national_number if phone.is_mainland_china else phone.e164}
        form["project"] = self.template(message) or ""
        form["vars"] = json.dumps(message.params_for(phone), ensure_ascii=False)
        if message.out_id:
            form["tag"] = message.out_id[:32]
        if s.sign_type == "normal":
            form["signature"] = key
        else:
            form.update(timestamp=str(int(self.clock())), sign_type=s.sign_type, sign_version="2")
            form["signature"] = submail_signature(s.appid, key, form, s.sign_type)
        return self.request("POST", self._url, recipients, headers=self._headers, body=urlencode(form).encode())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or "status" not in data:
            raise self.http_error(response, raw=data if data is not None else response.text)
        if data["status"] == "success":
            ident = str(data.get("send_id") or "") or None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        raise self.refusal(str(data.get("code") or ""), str(data.get("msg") or ""), data)

    def refusal(self, code: str, text: str, data: Any) -> SmsError:
        """Submail's codes by range: 1xx credentials, 2xx parameters (252 the number), 4xx template,
        5xx balance; anything else is an unknown outcome."""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": code or None, "provider_message": text or None}
        if code == "252":
            category: Category | None = Category.RECIPIENT
        else:
            category = {"1": Category.AUTH, "2": Category.INVALID, "4": Category.TEMPLATE, "5": Category.QUOTA}.get(
                code[:1] if len(code) == 3 and code.isdigit() else ""
            )
        if category is None:
            return OutcomeUnknown(f"no usable verdict ({code}): {text}", raw=data, **kw)
        return Rejected(f"refused: {text or code}", category=category, raw=data, **kw)
