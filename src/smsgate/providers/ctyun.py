"""``ctyun``: Ctyun (天翼云, China Telecom) template SMS, one number a request.

``POST https://sms-global.ctapi.ctyun.cn/sms/api/v1`` with a JSON body ``{"action": "SendSms",
"phoneNumber", "signName", "templateCode", "templateParam"}`` (the params as a JSON string), signed
with Ctyun's EOP scheme: ``Eop-Authorization`` is the base64 HMAC-SHA256 of the request id, the
``Eop-date`` (Beijing time labelled ``Z``, as Ctyun's own SDK sends it), the query and the body's
SHA-256, keyed by a chain over date, access key and day. The answer is ``{"code": "OK", "requestId"}``
or another ``code``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence

from pydantic import Field, SecretStr

from .._errors import OutcomeUnknown
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["CtyunProvider", "CtyunSettings", "eop_authorization"]

API_HOST = "sms-global.ctapi.ctyun.cn"
PATH = "/sms/api/v1"
BEIJING = 8 * 3600


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def eop_authorization(
    access_key: str, secret_key: str, request_id: str, eop_date: str, body: bytes, query: str = ""
) -> str:
    """The ``Eop-Authorization`` header (``ctyun-eop-request-id`` and ``eop-date`` signed)."""
    text = f"ctyun-eop-request-id:{request_id}\neop-date:{eop_date}\n\n{query}\n{hashlib.sha256(body).hexdigest()}"
    key = _hmac(_hmac(_hmac(secret_key.encode(), eop_date), access_key), eop_date[:8])
    signature = base64.b64encode(_hmac(key, text)).decode()
    return f"{access_key} Headers=ctyun-eop-request-id;eop-date Signature={signature}"


class CtyunSettings(ProviderSettings):
    access_key: str = Field(..., min_length=1, description="the access key (AK)")
    secret_key: SecretStr = Field(..., description="the secret key (SK)")
    sign_name: str | None = Field(None, description="the default signature text (signName)")


class CtyunProvider(Provider):
    """Ctyun SMS. Settings: ``access_key``, ``secret_key``; optional ``sign_name``, ``endpoint``."""

    name = "ctyun"
    settings_model = CtyunSettings
    max_recipients = 1  # several numbers in one request are not documented
    default_endpoint = API_HOST

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: CtyunSettings = self.settings
        phone = recipients[0]
        payload = {
            "action": "SendSms",
            "phoneNumber": phone.national_number if phone.is_mainland_china else phone.e164,
            "signName": self.sign_name(message),
            "templateCode": self.template(message),
            "templateParam": json.dumps(message.params_for(phone), ensure_ascii=False),
        }
        body = json.dumps(payload, ensure_ascii=False).encode()
        request_id = self.nonce()
        eop_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock() + BEIJING))
        headers = {
            "Content-Type": "application/json;charset=UTF-8",
            "ctyun-eop-request-id": request_id,
            "Eop-date": eop_date,
            "Eop-Authorization": eop_authorization(
                s.access_key, s.secret_key.get_secret_value(), request_id, eop_date, body
            ),
        }
        return self.request("POST", f"{self.endpoint.base}{PATH}", recipients, headers=headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        body = data if isinstance(data, dict) else {}
        code, text = str(body.get("code") or ""), str(body.get("message") or "")
        raw = data if data is not None else response.text
        if response.status == 200 and code == "OK":
            ident = str(body.get("bizId") or body.get("requestId") or "") or None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        if response.status == 200 or response.status == 429:  # undocumented codes: it may have been sent
            said = f"no usable verdict ({code or response.status}): {text}"
            raise OutcomeUnknown(said, provider=self.alias, provider_code=code or None, raw=raw)
        raise self.http_error(response, code=code or None, text=text or None, raw=raw)
