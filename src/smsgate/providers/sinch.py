"""``sinch``: Sinch SMS (the XMS REST API), one batch of up to 1,000 numbers a request.

``POST https://{region}.sms.api.sinch.com/xms/v1/{service_plan_id}/batches`` with
``Authorization: Bearer <api token>`` and a JSON ``mt_text`` batch (``to`` as E.164 numbers,
``from``, ``body``, ``delivery_report``, ``callback_url``, ``client_reference``). HTTP 201
answers the batch object: one batch id for every recipient, whose delivery is reported per
recipient later. Errors answer ``{"code", "text"}`` with the HTTP status telling the kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import quote

import orjson
from pydantic import ConfigDict, Field, SecretStr

from .._errors import SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["SinchProvider", "SinchSettings"]

Region = Literal["us", "eu", "au", "br", "ca"]
Report = Literal["none", "summary", "full", "per_recipient", "per_recipient_final"]


class SinchSettings(ProviderSettings):
    service_plan_id: str = Field(..., min_length=1, description="the service plan ID, also used in the URL")
    api_token: SecretStr = Field(..., description="the service plan's API token (Bearer)")
    from_: str = Field(..., alias="from", min_length=1, description="sender: a number, short code or alphanumeric ID")
    region: Region = Field("us", description="the region the service plan lives in: us, eu, au, br or ca")
    callback_url: str | None = Field(None, description="URL Sinch posts delivery reports to")
    delivery_report: Report = Field(
        "per_recipient_final", description="which delivery reports Sinch sends to callback_url"
    )

    model_config = ConfigDict(populate_by_name=True)


class SinchProvider(Provider):
    """Sinch SMS. Settings: ``service_plan_id``, ``api_token``, ``from``; optional ``region``,
    ``callback_url``, ``delivery_report``, ``endpoint``."""

    name = "sinch"
    settings_model = SinchSettings
    max_recipients = 1000
    takes_template = False
    takes_text = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: SinchSettings = self.settings
        self._url = f"{self.endpoint.base}/xms/v1/{quote(s.service_plan_id, safe='')}/batches"
        self._headers = {
            "Authorization": f"Bearer {s.api_token.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        fixed: dict[str, Any] = {"type": "mt_text", "from": s.from_}
        if s.callback_url:
            fixed.update(callback_url=s.callback_url, delivery_report=s.delivery_report)
        self._fixed = fixed

    def public_endpoint(self) -> str:
        s: SinchSettings = self.settings
        return f"{s.region}.sms.api.sinch.com"

    def batch_key(self, message: Message, phone: PhoneNumber) -> Any:
        """One batch carries one text: recipients share a request when their texts are equal."""
        return message.render(phone) if message.recipient_params else None

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        body = {**self._fixed, "to": [p.e164 for p in recipients], "body": message.render(recipients[0])}
        if message.out_id:
            body["client_reference"] = message.out_id
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status in (200, 201) and isinstance(data, dict) and data.get("id"):
            batch = str(data["id"])
            return [self.accepted(phone, batch, raw=data) for phone in request.recipients]
        raise self.error(response, data)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without a batch: 401/403 auth, 429 throttled, 5xx unknown."""
        body = data if isinstance(data, dict) else {}
        code = body.get("code")
        text = str(body.get("text") or body.get("message") or "") or None
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code else None, text=text, raw=raw)
