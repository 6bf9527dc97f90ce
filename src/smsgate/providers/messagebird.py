"""``messagebird``: the MessageBird (Bird) classic SMS API, up to 50 numbers a request.

``POST https://rest.messagebird.com/messages`` with ``Authorization: AccessKey <key>`` and a JSON
body (``originator``, ``recipients`` in international form without ``+``, ``body``,
``reference``, ``reportUrl``). HTTP 201 answers one message id for every recipient; errors answer
``{"errors": [{"code", "description", "parameter"}]}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["MessageBirdProvider", "MessageBirdSettings"]

API_HOST = "rest.messagebird.com"
_CATEGORIES = {
    "2": Category.AUTH,  # request not allowed (incorrect access key)
    "9": Category.INVALID,  # missing parameters
    "10": Category.INVALID,  # invalid parameters
    "21": Category.INVALID,  # bad request
    "25": Category.QUOTA,  # not enough balance
}


class MessageBirdSettings(ProviderSettings):
    access_key: SecretStr = Field(..., description="the access key (live_… or test_…)")
    originator: str = Field(..., min_length=1, max_length=17, description="sender: a number or up to 11 characters")
    report_url: str | None = Field(None, description="URL MessageBird calls with delivery reports")


class MessageBirdProvider(Provider):
    """MessageBird classic. Settings: ``access_key``, ``originator``; optional ``report_url``, ``endpoint``."""

    name = "messagebird"
    settings_model = MessageBirdSettings
    max_recipients = 50
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: MessageBirdSettings = self.settings
        self._url = f"{self.endpoint.base}/messages"
        self._headers = {
            "Authorization": f"AccessKey {s.access_key.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._fixed: dict[str, str] = {"originator": s.originator, "datacoding": "auto"}
        if s.report_url:
            self._fixed["reportUrl"] = s.report_url

    def batch_key(self, message: Message, phone: PhoneNumber) -> Any:
        """One request carries one text: recipients share a request when their texts are equal."""
        return message.render(phone) if message.recipient_params else None

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        body: dict[str, Any] = {**self._fixed, "recipients": [p.digits for p in recipients]}
        body["body"] = message.render(recipients[0])
        if message.out_id:
            body["reference"] = message.out_id
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status in (200, 201) and isinstance(data, dict) and data.get("id"):
            return [self.accepted(phone, str(data["id"]), raw=data) for phone in request.recipients]
        raise self.error(response, data)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without a message: the first error's code decides."""
        errors = data.get("errors") if isinstance(data, dict) else None
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        code = first.get("code")
        text = str(first.get("description") or "") or None
        if first.get("parameter"):
            text = f"{text} ({first['parameter']})"
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code is not None else None, text=text, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        if response.status == 429:  # refused for rate, whatever code names it: not processed
            return Throttled(f"rate limited: {text or code}", retry_after=response.retry_after, **kw)
        if code == "99":  # internal error: the message may have been accepted
            return OutcomeUnknown(f"internal error, the message may have been sent: {text}", **kw)
        category = _CATEGORIES.get(code)
        return None if category is None else Rejected(f"refused: {text or code}", category=category, **kw)
