"""``jdcloud``: JD Cloud SMS (京东云短信) template messages, up to 100 numbers a request.

``POST https://sms.jdcloud-api.com/v1/regions/{region}/batchSend`` with a JSON body: ``regionId``,
``templateId``, ``signId``, ``phoneList`` and ``params`` (positional); signed
``JDCLOUD3-HMAC-SHA256`` over every header sent (``x-jdcloud-date``, ``x-jdcloud-nonce`` among them).
The answer is ``{"requestId", "result": {"status": true, "data": {"sequenceNumber"}}}`` (one id for
the request), ``result.status`` false with a code, or ``{"error": {"code", "status", "message"}}``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Hashable, Sequence
from typing import Any

from pydantic import Field, SecretStr

from .._errors import OutcomeUnknown
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._hmac_chain import jdcloud_authorization
from .base import Provider, ProviderSettings

__all__ = ["JdCloudProvider", "JdCloudSettings", "jdcloud_authorization", "national"]

API_HOST = "sms.jdcloud-api.com"


def national(phone: PhoneNumber) -> str:
    """How JD Cloud wants a number: national for mainland China, else E.164."""
    return phone.national_number if phone.is_mainland_china else phone.e164


class JdCloudSettings(ProviderSettings):
    access_key_id: str = Field(..., min_length=1, description="the access key")
    secret_access_key: SecretStr = Field(..., description="the secret key")
    sign_id: str | None = Field(None, description="the default signature id (signId)")
    region: str = Field("cn-north-1", min_length=1, description="the region (regionId)")
    param_order: list[str] | None = Field(None, description="which named param fills params[0], [1], …")
    app_id: str | None = Field(None, description="the SMS app id (appId): pulls its replies when set")


class JdCloudProvider(Provider):
    """JD Cloud SMS. Settings: ``access_key_id``, ``secret_access_key``; optional ``sign_id``,
    ``region``, ``param_order``, ``app_id``, ``endpoint``."""

    name = "jdcloud"
    settings_model = JdCloudSettings
    max_recipients = 100
    positional_params = True
    default_endpoint = API_HOST
    sign_name_setting = "sign_id"

    def batch_key(self, message: Message, phone: PhoneNumber) -> Hashable:
        """Equal params share a request (the template's params are the request's)."""
        return tuple(message.ordered_params(phone, self.param_order))

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        payload = {
            "templateId": self.template(message),
            "signId": self.sign_name(message),
            "phoneList": [national(p) for p in recipients],
            "params": message.ordered_params(recipients[0], self.param_order),
        }
        return self.api_request("batchSend", payload, recipients)

    def api_request(
        self, action: str, fields: dict[str, Any], recipients: Sequence[PhoneNumber] = (), **context: Any
    ) -> HttpRequest:
        """A signed ``POST /v1/regions/{region}/{action}`` carrying ``regionId`` and ``fields``."""
        s: JdCloudSettings = self.settings
        body = json.dumps({"regionId": s.region, **fields}, ensure_ascii=False).encode()
        path = f"/v1/regions/{s.region}/{action}"
        x_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "Host": self.endpoint.host,
            "x-jdcloud-content-sha256": hashlib.sha256(body).hexdigest(),
            "x-jdcloud-date": x_date,
            "x-jdcloud-nonce": self.nonce(),
        }
        headers["Authorization"] = jdcloud_authorization(
            s.access_key_id, s.secret_access_key.get_secret_value(), method="POST", path=path, query={},
            headers=headers, body=body, x_date=x_date, region=s.region,
        )  # fmt: skip
        url = f"{self.endpoint.base}{path}"
        return self.request("POST", url, recipients, headers=headers, body=body, context=context)

    def result_data(self, response: HttpResponse) -> Any:
        """``result.data`` of a successful answer (a query's rows); else the classified error."""
        data = response.json()
        body = data if isinstance(data, dict) else {}
        result, error = body.get("result"), body.get("error")
        if response.status == 200 and isinstance(result, dict) and result.get("status") is True:
            return result.get("data")
        err = error if isinstance(error, dict) else result if isinstance(result, dict) else {}
        code = str(err.get("status") or err.get("code") or "") or None
        raw = data if data is not None else response.text
        raise self.http_error(response, code=code, text=str(err.get("message") or "") or None, raw=raw)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        body = data if isinstance(data, dict) else {}
        result, error = body.get("result"), body.get("error")
        raw = data if data is not None else response.text
        if response.status == 200 and isinstance(result, dict) and result.get("status") is True:
            found = result.get("data")
            ident = str(found.get("sequenceNumber") or "") or None if isinstance(found, dict) else None
            return [self.accepted(phone, ident, raw=data) for phone in request.recipients]
        kw: dict[str, Any] = {"provider": self.alias, "raw": raw}
        if response.status == 200 and isinstance(result, dict):  # refused with an undocumented code
            code, text = str(result.get("code") or ""), str(result.get("message") or "")
            raise OutcomeUnknown(f"no usable verdict ({code}): {text}", provider_code=code or None, **kw)
        if response.status == 429:  # undocumented: the request may have been processed
            raise OutcomeUnknown("rate limited (HTTP 429), the message may have been sent", provider_code="429", **kw)
        err = error if isinstance(error, dict) else {}
        said = str(err.get("message") or "") or None
        raise self.http_error(response, code=str(err.get("status") or "") or None, text=said, raw=raw)
