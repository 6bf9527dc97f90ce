"""``qiniu``: Qiniu (七牛云) template SMS: mainland numbers up to 100 a request, others one by one.

``POST https://sms.qiniuapi.com/v1/message`` with a JSON body ``{"signature_id", "template_id",
"mobiles", "parameters", "seq"}`` answers ``{"job_id"}`` (one id for the request); numbers abroad go
to ``/v1/message/oversea`` with ``"mobile"`` and get a ``message_id``. Signed with ``Authorization:
Qiniu <AK>:<urlsafe base64 HMAC-SHA1>`` over the method, path, ``Host``, ``Content-Type``,
``X-Qiniu-Date`` and body. Errors are ``{"error": "BadToken", "message", "request_id"}`` with a 4xx/5xx.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["QiniuProvider", "QiniuSettings", "qiniu_authorization"]

API_HOST = "sms.qiniuapi.com"
_CATEGORIES = {
    "BadToken": Category.AUTH,
    **dict.fromkeys(["InvalidQueryValue", "MalformedJSON", "NotFoundError"], Category.INVALID),
    **dict.fromkeys(
        ["FreezedUserError", "InactivatedUseError", "AccountNeedCertified", "AccountBalanceNotEnough"], Category.QUOTA
    ),
}


def qiniu_authorization(
    access_key: str, secret_key: str, method: str, path: str, host: str, headers: Mapping[str, str], body: bytes
) -> str:
    """``Qiniu <AK>:<sig>``: ``Content-Type`` and the ``X-Qiniu-*`` headers of ``headers`` are signed."""
    text = f"{method} {path}\nHost: {host}"
    content_type = headers.get("Content-Type")
    if content_type:
        text += f"\nContent-Type: {content_type}"
    qiniu = sorted((k.title(), v) for k, v in headers.items() if k.lower().startswith("x-qiniu-"))
    text += "".join(f"\n{k}: {v}" for k, v in qiniu) + "\n\n"
    signed = text.encode() + (body if content_type and content_type != "application/octet-stream" else b"")
    digest = hmac.new(secret_key.encode(), signed, hashlib.sha1).digest()
    return f"Qiniu {access_key}:{base64.urlsafe_b64encode(digest).decode()}"


class QiniuSettings(ProviderSettings):
    access_key: str = Field(..., min_length=1, description="the access key (AK)")
    secret_key: SecretStr = Field(..., description="the secret key (SK)")
    signature_id: str | None = Field(None, description="the default signature id")


class QiniuProvider(Provider):
    """Qiniu SMS. Settings: ``access_key``, ``secret_key``; optional ``signature_id``, ``endpoint``."""

    name = "qiniu"
    settings_model = QiniuSettings
    max_recipients = 100  # Qiniu states no limit: a conservative one
    default_endpoint = API_HOST
    sign_name_setting = "signature_id"

    def batch_key(self, message: Message, phone: PhoneNumber) -> Hashable:
        """Mainland numbers with equal params share a request; a number abroad goes alone."""
        return (phone.e164 if not phone.is_mainland_china else None, tuple(sorted(message.params_for(phone).items())))

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: QiniuSettings = self.settings
        payload: dict[str, Any] = {"template_id": self.template(message)}
        sign = self.sign_name(message)
        if sign:
            payload["signature_id"] = sign
        if recipients[0].is_mainland_china:
            path, payload["mobiles"] = "/v1/message", [p.national_number for p in recipients]
        else:
            path, payload["mobile"] = "/v1/message/oversea", recipients[0].e164
        payload["parameters"] = message.params_for(recipients[0])
        if message.out_id:
            payload["seq"] = message.out_id
        body = json.dumps(payload, ensure_ascii=False).encode()
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock()))
        headers = {"Content-Type": "application/json", "X-Qiniu-Date": date}
        headers["Authorization"] = qiniu_authorization(
            s.access_key, s.secret_key.get_secret_value(), "POST", path, self.endpoint.host, headers, body
        )
        return self.request("POST", f"{self.endpoint.base}{path}", recipients, headers=headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        body = data if isinstance(data, dict) else {}
        ident = body.get("job_id") or body.get("message_id")
        if response.status == 200 and ident:
            return [self.accepted(phone, str(ident), raw=data) for phone in request.recipients]
        code, text = str(body.get("error") or ""), str(body.get("message") or "")
        raw = data if data is not None else response.text
        if response.status == 429:  # undocumented: the request may have been processed
            said = "rate limited (HTTP 429), the message may have been sent"
            raise OutcomeUnknown(said, provider=self.alias, provider_code=code or "HTTP 429", raw=raw)
        raise self.http_error(response, code=code or None, text=text or None, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        category = _CATEGORIES.get(code)
        return None if category is None else Rejected(f"refused: {text or code}", category=category, **kw)
