"""``clickatell``: the Clickatell Platform REST API, many numbers a request, answered per number.

``POST https://platform.clickatell.com/messages`` with ``Authorization: <API key>`` (the raw key)
and ``{"to": [numbers without +], "content", "from", "clientMessageId"}``. HTTP 202 answers
``{"messages": [{"apiMessageId", "accepted", "to", "errorCode", "error", "errorDescription"}]}``;
Clickatell documents descriptions rather than codes, so a number it does not accept is rejected
as that recipient's, and a reply without per-number results is classified by HTTP status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["ClickatellProvider", "ClickatellSettings"]

API_HOST = "platform.clickatell.com"


class ClickatellSettings(ProviderSettings):
    api_key: SecretStr = Field(..., description="the integration's API key")
    from_: str | None = Field(None, alias="from", description="sender: a two-way number of the integration")


class ClickatellProvider(Provider):
    """Clickatell Platform. Settings: ``api_key``; optional ``from``, ``endpoint``."""

    name = "clickatell"
    settings_model = ClickatellSettings
    max_recipients = 100  # Clickatell documents no ceiling: a conservative one
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: ClickatellSettings = self.settings
        self._url = f"{self.endpoint.base}/messages"
        self._headers = {
            "Authorization": s.api_key.get_secret_value(),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }

    def batch_key(self, message: Message, phone: PhoneNumber) -> Any:
        """One request carries one text: recipients share a request when their texts are equal."""
        return message.render(phone) if message.recipient_params else None

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: ClickatellSettings = self.settings
        body: dict[str, Any] = {"to": [p.digits for p in recipients], "content": message.render(recipients[0])}
        if s.from_:
            body["from"] = s.from_.removeprefix("+")
        if message.out_id:
            body["clientMessageId"] = message.out_id
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        rows = data.get("messages") if isinstance(data, dict) else None
        if response.status not in (200, 202) or not isinstance(rows, list) or not rows:
            raise self.error(response, data)
        by_number = {str(row.get("to")): row for row in rows if isinstance(row, dict)}
        return [self._row(phone, by_number.get(phone.digits), data) for phone in request.recipients]

    def _row(self, phone: PhoneNumber, row: dict[str, Any] | None, raw: Any) -> RecipientResult:
        if row is not None and row.get("accepted") is True:
            return self.accepted(phone, str(row.get("apiMessageId") or "") or None, raw=row)
        if row is None:  # answered, but not about this number: it may have been sent
            missing = OutcomeUnknown("the reply does not mention this number", provider=self.alias, raw=raw)
            return RecipientResult.failed(phone, missing, self.alias, raw=raw)
        text = str(row.get("errorDescription") or row.get("error") or "not accepted")
        code = None if row.get("errorCode") is None else str(row["errorCode"])
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": code, "provider_message": text, "raw": row}
        error = Rejected(f"refused: {text}", category=Category.RECIPIENT, **kw)
        return RecipientResult.failed(phone, error, self.alias, raw=row)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without per-number results: by HTTP status."""
        body = data if isinstance(data, dict) else {}
        code = body.get("errorCode")
        text = str(body.get("errorDescription") or body.get("error") or "") or None
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code is not None else None, text=text, raw=raw)
