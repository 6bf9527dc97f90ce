"""``infobip``: Infobip SMS (API v3), many texts and up to 1,000 numbers a request.

``POST https://{base}.api.infobip.com/sms/3/messages`` with ``Authorization: App <API key>`` and
``{"messages": [{"sender", "destinations": [{"to"}], "content": {"text"}, "webhooks"}]}``:
one entry per distinct text, so per-recipient params travel in one request. Numbers go in
international form without ``+``. HTTP 200 answers a ``messageId`` and a status per destination;
a destination in the REJECTED group is refused on its own (``REJECTED_DESTINATION``,
``REJECTED_NOT_ENOUGH_CREDITS``…), the others are accepted.
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

__all__ = ["InfobipProvider", "InfobipSettings"]

REJECTED_GROUP = 5
# a destination refused at submission (nothing sent): why, by status name
_REJECTIONS: dict[str, Category] = {
    "REJECTED_NOT_ENOUGH_CREDITS": Category.QUOTA,
    "REJECTED_SENDER": Category.TEMPLATE,
    "REJECTED_DESTINATION": Category.RECIPIENT,
    "REJECTED_PREFIX_MISSING": Category.RECIPIENT,
    "REJECTED_DND": Category.RECIPIENT,
    "REJECTED_NETWORK": Category.RECIPIENT,
}


class InfobipSettings(ProviderSettings):
    api_key: SecretStr = Field(..., description="the API key (sent as 'App <key>')")
    sender: str = Field(..., min_length=1, description="sender: a number or an alphanumeric ID")
    notify_url: str | None = Field(None, description="URL Infobip posts delivery reports to")
    india_dlt_template_id: str | None = Field(None, description="India DLT: the content template ID")
    india_dlt_entity_id: str | None = Field(None, description="India DLT: the principal entity ID")


class InfobipProvider(Provider):
    """Infobip SMS. Settings: ``api_key``, ``sender``, ``endpoint`` (your account's base URL,
    ``xxxxx.api.infobip.com``); optional ``notify_url`` and the India DLT ids."""

    name = "infobip"
    settings_model = InfobipSettings
    max_recipients = 1000
    takes_template = False
    takes_text = True
    per_recipient_params = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s: InfobipSettings = self.settings
        self._url = f"{self.endpoint.base}/sms/3/messages"
        self._headers = {
            "Authorization": f"App {s.api_key.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        fixed: dict[str, Any] = {"sender": s.sender}
        if s.notify_url:
            fixed["webhooks"] = {"delivery": {"url": s.notify_url}, "contentType": "application/json"}
        if s.india_dlt_template_id or s.india_dlt_entity_id:
            dlt = {"contentTemplateId": s.india_dlt_template_id, "principalEntityId": s.india_dlt_entity_id}
            fixed["options"] = {"regional": {"indiaDlt": {k: v for k, v in dlt.items() if v}}}
        self._fixed = fixed

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        texts: dict[str, list[dict[str, str]]] = {}
        for phone in recipients:
            texts.setdefault(message.render(phone), []).append({"to": phone.digits})
        entries = [{**self._fixed, "destinations": to, "content": {"text": text}} for text, to in texts.items()]
        body = orjson.dumps({"messages": entries})
        return self.request("POST", self._url, recipients, headers=self._headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        rows = data.get("messages") if isinstance(data, dict) else None
        if response.status != 200 or not isinstance(rows, list):
            raise self.error(response, data)
        by_number = {str(row.get("destination") or row.get("to")): row for row in rows if isinstance(row, dict)}
        return [self._row(phone, by_number.get(phone.digits), data) for phone in request.recipients]

    def _row(self, phone: PhoneNumber, row: dict[str, Any] | None, raw: Any) -> RecipientResult:
        if row is None:  # answered, but not about this number: it may have been sent
            missing = OutcomeUnknown("the reply does not mention this number", provider=self.alias, raw=raw)
            return RecipientResult.failed(phone, missing, self.alias, raw=raw)
        status: dict[str, Any] = row["status"] if isinstance(row.get("status"), dict) else {}
        if status.get("groupId") != REJECTED_GROUP:
            return self.accepted(phone, str(row.get("messageId") or "") or None, raw=row)
        name = str(status.get("name") or "REJECTED")
        error = Rejected(
            f"refused: {status.get('description') or name}",
            category=_REJECTIONS.get(name, Category.INVALID),
            provider=self.alias,
            provider_code=name,
            provider_message=str(status.get("description") or "") or None,
            raw=row,
        )
        return RecipientResult.failed(phone, error, self.alias, raw=row)

    def error(self, response: HttpResponse, data: Any) -> SmsError:
        """The classified error for a reply without per-destination results (v3 and v2 error shapes)."""
        body = data if isinstance(data, dict) else {}
        request_error = body.get("requestError")
        legacy: dict[str, Any] = {}
        if isinstance(request_error, dict) and isinstance(request_error.get("serviceException"), dict):
            legacy = request_error["serviceException"]
        code = body.get("errorCode") or legacy.get("messageId")
        text = str(body.get("description") or legacy.get("text") or "") or None
        raw = data if data is not None else response.text
        return self.http_error(response, code=str(code) if code else None, text=text, raw=raw)
