"""``vonage``: the Vonage (Nexmo) SMS API, one number per request.

``POST /sms/json`` with a form body (``from``, ``to`` as E.164 digits without ``+``, ``text``,
``type=unicode`` when the text needs it, ``client-ref``, ``callback``); credentials go in the form
(``api_key``/``api_secret``) or as HTTP Basic auth. The answer is HTTP 200 even on errors: every
part of a long text has its own ``status``, ``"0"`` meaning accepted.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import ConfigDict, Field, SecretStr

from .._errors import Category, InvalidRequest, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from .base import Provider, ProviderSettings

__all__ = ["VonageProvider", "VonageSettings", "is_gsm7"]

API_HOST = "rest.nexmo.com"
MAX_CLIENT_REF = 100

# GSM 03.38: the default alphabet, then the extension table (sent as two septets).
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà" + "\f^{}\\[~]|€"
)

# Per-message status → (category, documented as safe to resend). 0 is success.
_STATUS: dict[str, tuple[Category, bool]] = {
    "1": (Category.THROTTLED, True),
    "2": (Category.INVALID, False),
    "3": (Category.INVALID, False),
    "4": (Category.AUTH, False),
    "5": (Category.UNREACHABLE, True),  # internal error: nothing sent, safe to resend (§8)
    "6": (Category.RECIPIENT, False),
    "7": (Category.RECIPIENT, False),
    "8": (Category.AUTH, False),
    "9": (Category.QUOTA, False),
    "10": (Category.THROTTLED, True),
    "11": (Category.AUTH, False),
    "12": (Category.INVALID, False),
    "14": (Category.AUTH, False),
    "15": (Category.TEMPLATE, False),
    "22": (Category.INVALID, False),
    "23": (Category.INVALID, False),
    "29": (Category.RECIPIENT, False),
    "32": (Category.AUTH, False),
    "33": (Category.RECIPIENT, False),
}


def is_gsm7(text: str) -> bool:
    """Whether ``text`` fits the GSM-7 alphabet (else it must be sent as ``unicode``)."""
    return all(char in _GSM7 for char in text)


class VonageSettings(ProviderSettings):
    model_config = ConfigDict(populate_by_name=True)

    api_key: str = Field(..., min_length=1, description="the account's API key")
    api_secret: SecretStr = Field(..., description="the account's API secret")
    from_: str = Field(..., alias="from", min_length=1, description="sender: a number or an alphanumeric ID")
    callback: str | None = Field(None, description="URL for delivery receipts")
    auth: Literal["form", "basic"] = Field("form", description="credentials in the form body or as Basic auth")


class VonageProvider(Provider):
    """Vonage SMS API. Settings: ``api_key``, ``api_secret``, ``from``; optional ``callback``,
    ``auth`` (``form`` or ``basic``), ``endpoint``."""

    name = "vonage"
    settings_model = VonageSettings
    max_recipients = 1
    takes_template = False
    takes_text = True
    default_endpoint = API_HOST

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: VonageSettings = self.settings
        self._url = f"{self.endpoint.base}/sms/json"
        self._headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        self._credentials: dict[str, str] = {}
        if s.auth == "basic":
            token = base64.b64encode(f"{s.api_key}:{s.api_secret.get_secret_value()}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        else:
            self._credentials = {"api_key": s.api_key, "api_secret": s.api_secret.get_secret_value()}

    def check(self, message: Outgoing) -> None:
        super().check(message)
        if message.out_id is not None and len(message.out_id) > MAX_CLIENT_REF:
            raise InvalidRequest(
                f"out_id is longer than {MAX_CLIENT_REF} characters (Vonage client-ref)", field="out_id"
            )

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        (phone,) = recipients
        s: VonageSettings = self.settings
        text = message.render(phone)
        form = {**self._credentials, "from": s.from_, "to": phone.digits, "text": text}
        if not is_gsm7(text):
            form["type"] = "unicode"
        if message.out_id:
            form["client-ref"] = message.out_id
        if s.callback:
            form["callback"] = s.callback
        return self.request("POST", self._url, recipients, headers=self._headers, body=urlencode(form).encode())

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        if response.status != 200:
            raise self._http_error(response, data)
        parts = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(parts, list) or not parts or not all(isinstance(p, dict) for p in parts):
            raise OutcomeUnknown("the response lists no message parts", provider=self.alias, raw=data)
        failed = [p for p in parts if str(p.get("status")) != "0"]
        if not failed:
            message_id = parts[0].get("message-id")
            return [self.accepted(phone, message_id, raw=data) for phone in request.recipients]
        sent = len(parts) - len(failed)
        raise self._part_error(failed[0], sent=sent, total=len(parts), raw=data, retry_after=response.retry_after)

    def _part_error(
        self, part: dict[str, Any], *, sent: int, total: int, raw: Any, retry_after: float | None
    ) -> SmsError:
        status = str(part.get("status"))
        text = str(part.get("error-text") or f"status {status}")
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": status, "provider_message": text, "raw": raw}
        if sent:  # some parts went out: resending or failing over would repeat them
            return OutcomeUnknown(f"{sent} of {total} parts sent, then: {text}", **kw)
        category, retryable = _STATUS.get(status, (Category.INVALID, False))
        if category is Category.THROTTLED:
            return Throttled(f"throttled: {text}", retry_after=retry_after, **kw)
        return Rejected(f"refused: {text}", category=category, retryable=retryable, **kw)

    def _http_error(self, response: HttpResponse, data: Any) -> SmsError:
        body = data if isinstance(data, dict) else {}
        text = str(body.get("error-text") or body.get("title") or "") or None
        return self.http_error(response, text=text, raw=data if data is not None else response.text)
