"""``ucloud``: UCloud USMS template SMS, up to 100 numbers a request.

``POST https://api.ucloud.cn/`` with a form body: ``Action=SendUSMSMessage``, ``PublicKey``,
``ProjectId``, ``PhoneNumbers.N`` (``(cc)number``; a bare number is mainland China),
``TemplateId``, ``SigContent``, ``TemplateParams.N`` (positional), ``UserId``, and ``Signature``:
the hex SHA-1 of every other field's name and value, sorted by name, followed by the private key.
The answer is ``{"RetCode": 0, "SessionNo"}`` (one id for the request) or a non-zero ``RetCode``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["UCloudProvider", "UCloudSettings", "ucloud_signature"]

API_HOST = "api.ucloud.cn"
_CATEGORIES = {
    **dict.fromkeys([170, 171, 172, 230], Category.AUTH),  # signature, public key, permission
    **dict.fromkeys([160, 161], Category.INVALID),  # missing or invalid parameters
}


def ucloud_signature(private_key: str, params: Mapping[str, str]) -> str:
    """The ``Signature`` of ``params`` (``Signature`` itself left out): SHA-1 over the sorted pairs and the key."""
    text = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "Signature") + private_key
    return hashlib.sha1(text.encode()).hexdigest()


class UCloudSettings(ProviderSettings):
    public_key: str = Field(..., min_length=1, description="the API public key")
    private_key: SecretStr = Field(..., description="the API private key")
    project_id: str | None = Field(None, description="the project (required for sub-accounts)")
    sign_name: str | None = Field(None, description="the default signature text (SigContent)")
    param_order: list[str] | None = Field(None, description="which named param fills TemplateParams.0, .1, …")


class UCloudProvider(Provider):
    """UCloud USMS. Settings: ``public_key``, ``private_key``; optional ``project_id``, ``sign_name``,
    ``param_order``, ``endpoint``."""

    name = "ucloud"
    settings_model = UCloudSettings
    max_recipients = 100  # UCloud states no limit: a conservative one
    positional_params = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._url = f"{self.endpoint.base}/"
        self._headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}

    def batch_key(self, message: Message, phone: PhoneNumber) -> Hashable:
        """Equal params share a request (the template's params are the request's)."""
        return tuple(message.ordered_params(phone, self.param_order))

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: UCloudSettings = self.settings
        params: dict[str, str] = {"Action": "SendUSMSMessage", "PublicKey": s.public_key}
        params["TemplateId"] = self.template(message) or ""
        if s.project_id:
            params["ProjectId"] = s.project_id
        sign = self.sign_name(message)
        if sign:
            params["SigContent"] = sign
        for i, phone in enumerate(recipients):
            params[f"PhoneNumbers.{i}"] = (
                phone.national_number if phone.is_mainland_china else f"({phone.country_code}){phone.national_number}"
            )
        for i, value in enumerate(message.ordered_params(recipients[0], self.param_order)):
            params[f"TemplateParams.{i}"] = value
        if message.out_id:
            params["UserId"] = message.out_id
        params["Signature"] = ucloud_signature(s.private_key.get_secret_value(), params)
        return self.request("POST", self._url, recipients, headers=self._headers, body=urlencode(params).encode())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status != 200 or not isinstance(data, dict) or not isinstance(data.get("RetCode"), int):
            raise self.http_error(response, raw=data if data is not None else response.text)
        code, text = data["RetCode"], str(data.get("Message") or "")
        if code == 0:
            ident = str(data.get("SessionNo") or "") or None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        raise self.refusal(code, text, data)

    def refusal(self, code: int, text: str, data: Any) -> SmsError:
        """The error a non-zero ``RetCode`` stands for: undocumented codes are unknown outcomes."""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": str(code), "provider_message": text or None}
        if code == 153:  # throttled before processing
            return Throttled(f"rate limited: {text or code}", raw=data, **kw)
        category = _CATEGORIES.get(code)
        if category is None:  # 110, 130, 150, the USMS range above 2000, anything else: may have been processed
            return OutcomeUnknown(f"no usable verdict ({code}): {text}", raw=data, **kw)
        return Rejected(f"refused: {text or code}", category=category, raw=data, **kw)
