"""``azure``: Azure Communication Services SMS, up to 100 numbers a request, each answered on its own.

``POST https://{resource}.communication.azure.com/sms?api-version=2021-03-07`` with a JSON body
(``from``, ``smsRecipients`` with a repeatability id each, ``message``, ``smsSendOptions``),
signed with the resource's access key: ``x-ms-date``, ``x-ms-content-sha256`` (base64 SHA-256 of
the body) and ``Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=…``
over ``VERB\\npath?query\\ndate;host;content-hash``, keyed with the base64-decoded key. HTTP 202
answers ``{"value": [{"to", "messageId", "httpStatusCode", "successful", "errorMessage"}]}``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Sequence
from email.utils import formatdate
from typing import Any

import orjson
from pydantic import ConfigDict, Field, SecretStr, field_validator

from .._errors import Category, OutcomeUnknown, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["AzureProvider", "AzureSettings", "acs_authorization"]

PATH = "/sms?api-version=2021-03-07"


def acs_authorization(
    access_key: bytes, method: str, path_and_query: str, host: str, date: str, body: bytes
) -> tuple[str, str]:
    """``(x-ms-content-sha256, Authorization)`` for a request signed with an ACS access key."""
    content_hash = base64.b64encode(hashlib.sha256(body).digest()).decode()
    to_sign = f"{method}\n{path_and_query}\n{date};{host};{content_hash}"
    signature = base64.b64encode(hmac.new(access_key, to_sign.encode(), hashlib.sha256).digest()).decode()
    return content_hash, f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"


class AzureSettings(ProviderSettings):
    endpoint: str | None = Field(
        None, description="the resource's endpoint, https://{resource}.communication.azure.com"
    )
    access_key: SecretStr = Field(..., description="the resource's access key, base64 as the portal shows it")
    from_: str = Field(..., alias="from", min_length=1, description="a number of the resource, E.164")
    delivery_reports: bool = Field(True, description="ask for delivery reports (sent through Event Grid)")

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("access_key")
    @classmethod
    def _base64(cls, value: SecretStr) -> SecretStr:
        try:
            base64.b64decode(value.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not base64 (copy the key as the portal shows it)") from None
        return value


class AzureProvider(Provider):
    """Azure Communication Services SMS. Settings: ``endpoint`` (the resource), ``access_key``, ``from``;
    optional ``delivery_reports``."""

    name = "azure"
    settings_model = AzureSettings
    max_recipients = 100
    takes_template = False
    takes_text = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: AzureSettings = self.settings
        self._key = base64.b64decode(s.access_key.get_secret_value())
        self._url = f"{self.endpoint.base}{PATH}"
        self._path = self.endpoint.base.partition(self.endpoint.host)[2] + PATH

    def batch_key(self, message: Message, phone: PhoneNumber) -> Any:
        """One request carries one text: recipients share a request when their texts are equal."""
        return message.render(phone) if message.recipient_params else None

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: AzureSettings = self.settings
        date = formatdate(self.clock(), usegmt=True)
        options: dict[str, Any] = {"enableDeliveryReport": s.delivery_reports}
        if message.out_id:
            options["tag"] = message.out_id
        body = orjson.dumps(
            {
                "from": s.from_,
                "smsRecipients": [
                    {"to": p.e164, "repeatabilityRequestId": str(uuid.uuid4()), "repeatabilityFirstSent": date}
                    for p in recipients
                ],
                "message": message.render(recipients[0]),
                "smsSendOptions": options,
            }
        )
        content_hash, authorization = acs_authorization(self._key, "POST", self._path, self.endpoint.host, date, body)
        headers = {
            "Content-Type": "application/json",
            "x-ms-date": date,
            "x-ms-content-sha256": content_hash,
            "Authorization": authorization,
        }
        return self.request("POST", self._url, recipients, headers=headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        rows = data.get("value") if isinstance(data, dict) else None
        if response.status != 202 or not isinstance(rows, list):
            raise self.error(response, data)
        by_number = {str(row.get("to")): row for row in rows if isinstance(row, dict)}
        return [self._row(phone, by_number.get(phone.e164), data) for phone in request.recipients]

    def _row(self, phone: PhoneNumber, row: dict[str, Any] | None, raw: Any) -> RecipientResult:
        if row is not None and row.get("successful") is True:
            return self.accepted(phone, str(row.get("messageId") or "") or None, raw=row)
        kw: dict[str, Any] = {"provider": self.alias, "raw": row if row is not None else raw}
        if row is None:  # answered, but not about this number: it may have been sent
            error: SmsError = OutcomeUnknown("the reply does not mention this number", **kw)
        elif row.get("httpStatusCode") == 400:
            text = str(row.get("errorMessage") or "refused")
            error = Rejected(f"refused: {text}", category=Category.RECIPIENT, provider_code="400", **kw)
        else:
            error = OutcomeUnknown(f"no verdict for this number (HTTP {row.get('httpStatusCode')})", **kw)
        return RecipientResult.failed(phone, error, self.alias, raw=kw["raw"])

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without per-number results."""
        body = data.get("error") if isinstance(data, dict) else None
        body = body if isinstance(body, dict) else {}
        code, text = body.get("code"), str(body.get("message") or "") or None
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code else None, text=text, raw=raw)
