"""``msg91``: MSG91's Flow API (India, DLT templates), many numbers a request, each with its own params.

``POST https://control.msg91.com/api/v5/flow`` with the ``authkey`` header and
``{"template_id", "short_url": "0", "recipients": [{"mobiles": "91…", "<VAR>": "…"}]}``: the
template is MSG91's, mapped to the DLT template, entity and header when it was registered.
Numbers go with their country code and without ``+``. The answer is
``{"type": "success", "message": "<request id>"}`` (the id the delivery reports name) or
``{"type": "error", "message": "…"}``, with HTTP 200 or a 4xx.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import Field, SecretStr

from .._errors import Category, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["Msg91Provider", "Msg91Settings"]

API_HOST = "control.msg91.com"


class Msg91Settings(ProviderSettings):
    authkey: SecretStr = Field(..., description="the account's auth key")
    short_url: bool = Field(False, description="let MSG91 shorten links in the text")


class Msg91Provider(Provider):
    """MSG91 Flow. Settings: ``authkey``; optional ``short_url``, ``endpoint``. The message's
    ``template`` is the MSG91 template id; its ``params`` fill the template's variables."""

    name = "msg91"
    settings_model = Msg91Settings
    max_recipients = 100  # MSG91 documents no ceiling: a conservative one
    per_recipient_params = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: Msg91Settings = self.settings
        self._url = f"{self.endpoint.base}/api/v5/flow"
        self._headers = {
            "authkey": s.authkey.get_secret_value(),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: Msg91Settings = self.settings
        body = {
            "template_id": self.template(message),
            "short_url": "1" if s.short_url else "0",
            "recipients": [{"mobiles": p.digits, **message.params_for(p)} for p in recipients],
        }
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status == 200 and isinstance(data, dict) and data.get("type") == "success":
            ident = str(data.get("message") or "") or None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        raise self.error(response, data)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """An explicit ``"type": "error"`` is a refusal (credentials when it says so); 429 and the rest by status."""
        body = data if isinstance(data, dict) else {}
        text = str(body.get("message") or "") or None
        raw = data if data is not None else response.text
        if body.get("type") == "error" and response.status < 500 and response.status != 429:
            category = Category.AUTH if "auth" in (text or "").lower() else Category.INVALID
            kw: dict[str, Any] = {
                "provider": self.alias,
                "provider_code": "error",
                "provider_message": text,
                "raw": raw,
            }
            return Rejected(f"refused: {text or 'error'}", category=category, **kw)
        return self.http_error(response, text=text, raw=raw)
