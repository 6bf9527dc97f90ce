"""``huawei``: Huawei Cloud MSGSMS ``batchSendSms/v1``, authenticated with X-WSSE (or AK/SK signing).

One form-encoded request carries up to 500 numbers. The reply has one ``code`` for the request
and, when the request was processed, one ``status`` per number in ``result``; ``E000510`` means
some numbers failed (see each status).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["HuaweiProvider", "HuaweiSettings", "aksk_authorization", "classify", "wsse_headers"]

DEFAULT_ENDPOINT = "smsapi.cn-north-4.myhuaweicloud.com"
PATH = "/sms/batchSendSms/v1"
FORM = "application/x-www-form-urlencoded"
WSSE_AUTHORIZATION = 'WSSE realm="SDP",profile="UsernameToken",type="Appkey"'
UNSIGNED = "UNSIGNED-PAYLOAD"


class HuaweiSettings(ProviderSettings):
    """Credentials and defaults of a Huawei Cloud SMS application."""

    app_key: str = Field(min_length=1, description="application key (App Key)")
    app_secret: SecretStr = Field(description="application secret (App Secret)")
    sender: str = Field(min_length=1, description="signature channel number (the form field `from`)")
    signature: str | None = Field(None, description="sign name, needed with general templates")
    status_callback: str | None = Field(None, description="URL for delivery reports")
    param_order: tuple[str, ...] | None = Field(None, description="names of the template params, in order")
    auth: Literal["wsse", "aksk"] = Field("wsse", description="X-WSSE, or the AK/SK SDK-HMAC-SHA256 signature")


def wsse_headers(app_key: str, app_secret: str, nonce: str, created: str) -> dict[str, str]:
    """``Authorization`` and ``X-WSSE``; the digest is base64 of the *hex* SHA-256 (Huawei's own samples)."""
    hexdigest = hashlib.sha256((nonce + created + app_secret).encode()).hexdigest()
    digest = base64.b64encode(hexdigest.encode()).decode()
    token = f'UsernameToken Username="{app_key}",PasswordDigest="{digest}",Nonce="{nonce}",Created="{created}"'
    return {"Authorization": WSSE_AUTHORIZATION, "X-WSSE": token}


def aksk_authorization(app_key: str, app_secret: str, *, method: str, path: str, headers: dict[str, str]) -> str:
    """``SDK-HMAC-SHA256`` over ``headers`` (all signed), with an unsigned payload and no query."""
    signed = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(signed)
    canonical = "\n".join(
        [
            method.upper(),
            path if path.endswith("/") else path + "/",
            "",
            "".join(f"{k}:{signed[k]}\n" for k in names),
            ";".join(names),
            signed.get("x-sdk-content-sha256", UNSIGNED),
        ]
    )
    to_sign = f"SDK-HMAC-SHA256\n{signed['x-sdk-date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(app_secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"SDK-HMAC-SHA256 Access={app_key}, SignedHeaders={';'.join(names)}, Signature={signature}"


class HuaweiProvider(Provider):
    """Huawei Cloud SMS. Settings: ``app_key``, ``app_secret``, ``sender``, ``endpoint``, ``signature``."""

    name = "huawei"
    settings_model = HuaweiSettings
    max_recipients = 500
    positional_params = True
    default_endpoint = DEFAULT_ENDPOINT
    sign_name_setting = "signature"
    settings: HuaweiSettings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = self.endpoint.base + PATH

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s = self.settings
        form = {
            "from": s.sender,
            "to": ",".join(p.e164 for p in recipients),
            "templateId": self.template(message),
        }
        params = message.ordered_params(recipients[0], self.param_order)
        if params:
            form["templateParas"] = json.dumps(params, ensure_ascii=False)
        optional = {
            "signature": self.sign_name(message),
            "statusCallback": s.status_callback,
            "extend": message.out_id,
        }
        form.update((k, v) for k, v in optional.items() if v is not None)
        body = urlencode(form).encode()
        now = self.clock()
        secret = s.app_secret.get_secret_value()
        headers = {"Content-Type": FORM}
        if s.auth == "wsse":
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
            headers.update(wsse_headers(s.app_key, secret, self.nonce(), created))
        else:
            headers["Host"] = self.endpoint.host
            headers["X-Sdk-Content-Sha256"] = UNSIGNED
            headers["X-Sdk-Date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
            path = urlsplit(self.url).path
            headers["Authorization"] = aksk_authorization(s.app_key, secret, method="POST", path=path, headers=headers)
        return self.request("POST", self.url, recipients, headers=headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        code = data.get("code") if isinstance(data, dict) else None
        if response.status >= 500 or response.status == 429 or not isinstance(data, dict) or not isinstance(code, str):
            raise self.http_error(response, raw=data if data is not None else response.text[:2000])
        if code not in ("000000", "E000510"):
            raise classify(code, str(data.get("description", "")), raw=data)
        rows = data.get("result")
        if not isinstance(rows, list):
            raise OutcomeUnknown(f"code {code} without per-number results; the SMS may have been sent")
        by_phone = {str(row.get("originTo")): row for row in rows if isinstance(row, dict)}
        return [self._verdict(phone, by_phone.get(phone.e164)) for phone in request.recipients]

    def _verdict(self, phone: PhoneNumber, row: dict[str, Any] | None) -> RecipientResult:
        if row is None:
            return RecipientResult.failed(phone, OutcomeUnknown("no status for this number", provider=self.alias))
        if row.get("status") == "000000":
            return self.accepted(phone, str(row.get("smsMsgId") or "") or None, raw=row)
        error = classify(str(row.get("status")), "", raw=row)
        error.provider = self.alias
        return RecipientResult.failed(phone, error, self.alias, raw=row)


_CODES: dict[str, Category] = {
    "E000000": Category.INVALID,
    "E000040": Category.INVALID,
    "E000503": Category.INVALID,
    "E000111": Category.AUTH,
    "E000112": Category.QUOTA,
    "E000620": Category.AUTH,
    "E200015": Category.INVALID,
    "E200018": Category.TEMPLATE,
    "E200028": Category.TEMPLATE,
    "E200029": Category.TEMPLATE,
    "E200030": Category.TEMPLATE,
    "E200033": Category.TEMPLATE,
    "E200031": Category.INVALID,
    "E200041": Category.INVALID,
}


def classify(code: str, description: str, *, raw: Any = None) -> SmsError:
    """The error for a Huawei ``code`` or per-number ``status`` (spec §3.5)."""
    text = description or "the provider refused it"
    category = _CODES.get(code)
    if category is None and code[:5] in ("E0000", "E0001"):  # E000001-E000027 header problems, E0001xx auth
        category = Category.AUTH
    return Rejected(
        text, category=category or Category.UNKNOWN, provider_code=code, provider_message=description, raw=raw
    )
