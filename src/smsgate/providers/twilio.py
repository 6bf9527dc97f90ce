"""``twilio``: Twilio Programmable Messaging, one message per request.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with a form body (``To``, ``From`` or
``MessagingServiceSid``, ``Body``, ``StatusCallback``) and HTTP Basic auth: the account SID and
auth token, or an API key SID and its secret. HTTP 201 carries the message resource; errors
carry ``{code, message, more_info, status}``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import ConfigDict, Field, SecretStr, model_validator

from .._errors import Category, InvalidRequest, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["TwilioProvider", "TwilioSettings"]

API_HOST = "api.twilio.com"
MAX_BODY = 1600  # characters

_CATEGORIES: dict[int, Category] = {
    20003: Category.AUTH,  # authentication failed
    20404: Category.AUTH,  # account (or resource) not found
    21408: Category.AUTH,  # the account may not send to this region
    21211: Category.RECIPIENT,  # invalid 'To'
    21614: Category.RECIPIENT,  # 'To' cannot receive SMS
    21612: Category.RECIPIENT,  # cannot route to this number
    21610: Category.RECIPIENT,  # recipient replied STOP
    21608: Category.RECIPIENT,  # trial account: unverified 'To'
    21635: Category.RECIPIENT,  # 'To' is a landline
    21606: Category.TEMPLATE,  # 'From' cannot send here
    21212: Category.TEMPLATE,  # invalid 'From'
    21603: Category.TEMPLATE,  # 'From' missing
    21602: Category.INVALID,  # 'Body' missing
    21604: Category.INVALID,  # 'To' missing
    21617: Category.INVALID,  # 'Body' too long
}


class TwilioSettings(ProviderSettings):
    account_sid: str = Field(..., min_length=1, description="the account SID (AC…), also used in the URL")
    auth_token: SecretStr = Field(..., description="the auth token, or the API key's secret with api_key_sid")
    api_key_sid: str | None = Field(None, description="an API key SID (SK…) to authenticate with instead")
    from_: str | None = Field(None, alias="from", description="sender: E.164 number, short code or alphanumeric ID")
    messaging_service_sid: str | None = Field(None, description="a Messaging Service (MG…) to send from")
    status_callback: str | None = Field(None, description="URL Twilio posts delivery status to")

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _needs_sender(self) -> TwilioSettings:
        if not (self.from_ or self.messaging_service_sid):
            raise ValueError("set 'from' or 'messaging_service_sid'")
        return self


class TwilioProvider(Provider):
    """Twilio Programmable Messaging. Settings: ``account_sid``, ``auth_token``, ``from`` or
    ``messaging_service_sid``; optional ``api_key_sid``, ``status_callback``, ``endpoint``."""

    name = "twilio"
    settings_model = TwilioSettings
    max_recipients = 1
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: TwilioSettings = self.settings
        self._url = f"{self.endpoint.base}/2010-04-01/Accounts/{quote(s.account_sid, safe='')}/Messages.json"
        user = s.api_key_sid or s.account_sid
        token = base64.b64encode(f"{user}:{s.auth_token.get_secret_value()}".encode()).decode()
        self._headers = {
            "Authorization": f"Basic {token}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }

    def check(self, message: Outgoing) -> None:
        super().check(message)
        for phone in message.phones:
            if len(message.render(phone)) > MAX_BODY:
                raise InvalidRequest(f"the text for {phone.e164} is longer than {MAX_BODY} characters", field="text")

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        s: TwilioSettings = self.settings
        form = {"To": phone.e164}
        if s.messaging_service_sid:
            form["MessagingServiceSid"] = s.messaging_service_sid
        if s.from_:
            form["From"] = s.from_
        form["Body"] = message.render(phone)
        if s.status_callback:
            form["StatusCallback"] = s.status_callback
        return self.request("POST", self._url, recipients, headers=self._headers, body=urlencode(form).encode())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status in (200, 201) and isinstance(data, dict) and data.get("sid"):
            return [self.accepted(phone, str(data["sid"]), raw=data) for phone in request.recipients]
        raise self.error(response, data)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a non-success response."""
        body = data if isinstance(data, dict) else {}
        code = body.get("code")
        text = str(body.get("message") or body.get("detail") or "") or None
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code is not None else None, text=text, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        if code == "63038":
            return Throttled("the account's daily message limit is reached", retryable=False, **kw)
        if code == "20429":
            return Throttled("too many concurrent requests", retry_after=response.retry_after, **kw)
        category = _CATEGORIES.get(int(code)) if code.isdigit() else None
        if category is None:
            return None
        return Rejected(f"refused: {text or code}", category=category, **kw)
