"""``telnyx``: Telnyx Messaging, one number a request.

``POST https://api.telnyx.com/v2/messages`` with ``Authorization: Bearer <API key>`` and a JSON
body (``from`` or ``messaging_profile_id``, ``to``, ``text``, ``webhook_url``). HTTP 200 answers
``{"data": {"id", "to": [...], "parts", ...}}``; errors answer JSON:API
``{"errors": [{"code", "title", "detail", "source"}]}`` with the HTTP status telling the kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import ConfigDict, Field, SecretStr, model_validator

from .._errors import Category, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["TelnyxProvider", "TelnyxSettings"]

API_HOST = "api.telnyx.com"

# Telnyx's documented codes are few; these are classified so that nothing that may have been
# sent fails over (a code not listed falls back to the HTTP status).
_CATEGORIES: dict[str, Category] = {
    "10009": Category.AUTH,  # authentication failed
    "10010": Category.AUTH,  # not authorised for this resource
    "40300": Category.RECIPIENT,  # the recipient replied STOP
    "40310": Category.RECIPIENT,  # invalid 'to'
    "40001": Category.RECIPIENT,  # not routable
    "40008": Category.RECIPIENT,  # undeliverable
    "40305": Category.TEMPLATE,  # invalid 'from' for this destination
}


class TelnyxSettings(ProviderSettings):
    api_key: SecretStr = Field(..., description="the API key (Bearer)")
    from_: str | None = Field(None, alias="from", description="sender: E.164 number, short code or alphanumeric ID")
    messaging_profile_id: str | None = Field(None, description="a messaging profile (number pool) to send from")
    webhook_url: str | None = Field(None, description="URL Telnyx posts message events (delivery reports) to")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _needs_sender(self) -> TelnyxSettings:
        if not (self.from_ or self.messaging_profile_id):
            raise ValueError("set 'from' or 'messaging_profile_id'")
        return self


class TelnyxProvider(Provider):
    """Telnyx Messaging. Settings: ``api_key``, ``from`` or ``messaging_profile_id``; optional
    ``webhook_url``, ``endpoint``."""

    name = "telnyx"
    settings_model = TelnyxSettings
    max_recipients = 1
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: TelnyxSettings = self.settings
        self._url = f"{self.endpoint.base}/v2/messages"
        self._headers = {
            "Authorization": f"Bearer {s.api_key.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        fixed: dict[str, str] = {"type": "SMS"}
        if s.from_:
            fixed["from"] = s.from_
        if s.messaging_profile_id:
            fixed["messaging_profile_id"] = s.messaging_profile_id
        if s.webhook_url:
            fixed["webhook_url"] = s.webhook_url
        self._fixed = fixed

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        body = {**self._fixed, "to": phone.e164, "text": message.render(phone)}
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        resource = data.get("data") if isinstance(data, dict) else None
        if response.status == 200 and isinstance(resource, dict) and resource.get("id"):
            return [self.accepted(phone, str(resource["id"]), raw=data) for phone in request.recipients]
        raise self.error(response, data)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without a message: the first JSON:API error's code decides."""
        errors = data.get("errors") if isinstance(data, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        code = first.get("code")
        text = str(first.get("detail") or first.get("title") or "") or None
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code else None, text=text, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        if code == "10011":
            return Throttled("rate limited", retry_after=response.retry_after, **kw)
        category = _CATEGORIES.get(code)
        return None if category is None else Rejected(f"refused: {text or code}", category=category, **kw)
