"""``bandwidth``: Bandwidth Messaging API v2, one number a request.

``POST https://messaging.bandwidth.com/api/v2/users/{accountId}/messages`` with HTTP Basic auth
(an API user) and a JSON body (``applicationId``, ``to`` as a one-number list, ``from``, ``text``,
``tag``). HTTP 202 answers the message (``id``, ``segmentCount``…); errors answer
``{"type", "description", "fieldErrors"}`` with the HTTP status telling the kind.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import orjson
from pydantic import ConfigDict, Field, SecretStr

from .._errors import SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["BandwidthProvider", "BandwidthSettings"]

API_HOST = "messaging.bandwidth.com"


class BandwidthSettings(ProviderSettings):
    account_id: str = Field(..., min_length=1, description="the account ID, also used in the URL")
    username: str = Field(..., min_length=1, description="the API user's name")
    password: SecretStr = Field(..., description="the API user's password")
    application_id: str = Field(..., min_length=1, description="the messaging application to send through")
    from_: str = Field(..., alias="from", min_length=1, description="sender: a number of the application, E.164")

    model_config = ConfigDict(populate_by_name=True)


class BandwidthProvider(Provider):
    """Bandwidth Messaging. Settings: ``account_id``, ``username``, ``password``,
    ``application_id``, ``from``; optional ``endpoint``."""

    name = "bandwidth"
    settings_model = BandwidthSettings
    max_recipients = 1  # several numbers in one request make a group message
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: BandwidthSettings = self.settings
        self._url = f"{self.endpoint.base}/api/v2/users/{quote(s.account_id, safe='')}/messages"
        token = base64.b64encode(f"{s.username}:{s.password.get_secret_value()}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._fixed = {"applicationId": s.application_id, "from": s.from_}

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        body: dict[str, Any] = {**self._fixed, "to": [phone.e164], "text": message.render(phone)}
        if message.out_id:
            body["tag"] = message.out_id
        return self.request("POST", self._url, recipients, headers=self._headers, body=orjson.dumps(body))

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status in (200, 202) and isinstance(data, dict) and data.get("id"):
            return [self.accepted(phone, str(data["id"]), raw=data) for phone in request.recipients]
        raise self.error(response, data)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without a message id."""
        body = data if isinstance(data, dict) else {}
        kind = body.get("type")
        fields = body.get("fieldErrors")
        text = str(body.get("description") or "")
        if isinstance(fields, list) and fields and isinstance(fields[0], dict):
            text = f"{text} ({fields[0].get('fieldName')}: {fields[0].get('description')})".strip()
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(kind) if kind else None, text=text or None, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        if code == "max-message-queue-size-exceeded":  # refused before queueing: safe to retry later
            return Throttled(f"rate limited: {text or code}", retry_after=response.retry_after, **kw)
        return None
