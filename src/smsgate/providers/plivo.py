"""``plivo``: Plivo's Message API, up to 1,000 numbers a request.

``POST /v1/Account/{auth_id}/Message/`` with a JSON body (``src`` or ``powerpack_uuid``, ``dst``
with numbers in E.164 without ``+`` joined by ``<``, ``text``, ``url`` for delivery reports) and
HTTP Basic auth (auth id, auth token). HTTP 202 answers ``{"api_id", "message", "message_uuid": […]}``
with one uuid per destination (more when the text is split into parts); errors answer
``{"api_id", "error"}`` with the HTTP status telling the kind.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import orjson
from pydantic import ConfigDict, Field, SecretStr, model_validator

from .._errors import Category, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["PlivoProvider", "PlivoSettings"]

API_HOST = "api.plivo.com"


class PlivoSettings(ProviderSettings):
    auth_id: str = Field(..., min_length=1, description="the account's auth ID (MA…/SA…), also used in the URL")
    auth_token: SecretStr = Field(..., description="the account's auth token")
    from_: str | None = Field(None, alias="from", description="sender: a number (E.164) or an alphanumeric ID")
    powerpack_uuid: str | None = Field(None, description="a Powerpack to send from instead of 'from'")
    callback_url: str | None = Field(None, description="URL Plivo sends delivery reports to")
    callback_method: str = Field("POST", pattern="^(GET|POST)$", description="how Plivo calls callback_url")
    dlt_entity_id: str | None = Field(None, description="India DLT: the registered entity ID")
    dlt_template_id: str | None = Field(None, description="India DLT: the registered template ID")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _one_sender(self) -> PlivoSettings:
        if bool(self.from_) == bool(self.powerpack_uuid):
            raise ValueError("set exactly one of 'from' and 'powerpack_uuid'")
        return self


class PlivoProvider(Provider):
    """Plivo. Settings: ``auth_id``, ``auth_token``, ``from`` or ``powerpack_uuid``; optional
    ``callback_url``, ``callback_method``, ``dlt_entity_id``, ``dlt_template_id``, ``endpoint``."""

    name = "plivo"
    settings_model = PlivoSettings
    max_recipients = 1000
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: PlivoSettings = self.settings
        self._url = f"{self.endpoint.base}/v1/Account/{quote(s.auth_id, safe='')}/Message/"
        token = base64.b64encode(f"{s.auth_id}:{s.auth_token.get_secret_value()}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        fixed: dict[str, str] = {"type": "sms"}
        if s.powerpack_uuid:
            fixed["powerpack_uuid"] = s.powerpack_uuid
        if s.from_:
            fixed["src"] = s.from_.removeprefix("+")
        if s.callback_url:
            fixed.update(url=s.callback_url, method=s.callback_method)
        if s.dlt_entity_id:
            fixed["dlt_entity_id"] = s.dlt_entity_id
        if s.dlt_template_id:
            fixed["dlt_template_id"] = s.dlt_template_id
        self._fixed = fixed

    def batch_key(self, message: Message, phone: PhoneNumber) -> Any:
        """One request carries one text: recipients share a request when their texts are equal."""
        return message.render(phone) if message.recipient_params else None

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        body = {**self._fixed, "dst": "<".join(p.digits for p in recipients), "text": message.render(recipients[0])}
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status in (200, 202) and isinstance(data, dict) and isinstance(data.get("message_uuid"), list):
            return self._accepted(request.recipients, [str(u) for u in data["message_uuid"]], data)
        raise self.error(response, data)

    def _accepted(self, phones: Sequence[PhoneNumber], uuids: list[str], raw: Any) -> list[RecipientResult]:
        """One uuid per destination, or a run of equal length per destination when the text has parts;
        any other count leaves the ids unassigned rather than guessed (the raw answer keeps them)."""
        parts, odd = divmod(len(uuids), len(phones))
        if parts == 0 or odd:
            return [self.accepted(phone, None, raw=raw) for phone in phones]
        return [self.accepted(phone, uuids[i * parts], raw=raw) for i, phone in enumerate(phones)]

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without ``message_uuid``."""
        text = str(data.get("error") or "") if isinstance(data, dict) else ""
        raw = data if data is not None else response.text
        return self.http_error(response, text=text or None, raw=raw)

    def http_error(
        self, response: HttpResponse, *, code: str | None = None, text: str | None = None, raw: Any = None
    ) -> SmsError:
        if response.status == 404:  # the account in the URL does not exist: these credentials are wrong
            kw: dict[str, Any] = {"provider": self.alias, "provider_code": "HTTP 404", "provider_message": text}
            return Rejected(f"not authorised: {text or 'account not found'}", category=Category.AUTH, raw=raw, **kw)
        return super().http_error(response, code=code, text=text, raw=raw)
