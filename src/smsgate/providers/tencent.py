"""``tencent``: Tencent Cloud SMS, API 3.0 ``SendSms`` (version 2021-01-11), signed with TC3-HMAC-SHA256.

One request carries up to 200 numbers, all mainland Chinese or all international; the reply is
HTTP 200 with either ``Response.Error`` (the whole request failed) or ``Response.SendStatusSet``
(one verdict per number).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Hashable, Sequence
from typing import Any

from pydantic import Field, SecretStr

from .._errors import InvalidRequest, OutcomeUnknown, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult
from .._phone import PhoneNumber
from ._tencent_errors import classify
from .base import Provider, ProviderSettings

__all__ = ["TencentProvider", "TencentSettings", "classify", "tc3_authorization"]

DEFAULT_HOST = "sms.tencentcloudapi.com"
ACTION = "SendSms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json"


class TencentSettings(ProviderSettings):
    """Credentials and defaults of a Tencent Cloud SMS application."""

    secret_id: str = Field(min_length=1, description="API SecretId (AKID…)")
    secret_key: SecretStr = Field(description="API SecretKey")
    sdk_app_id: str = Field(min_length=1, description="SMS application id (SmsSdkAppId, 1400…)")
    region: str = Field("ap-guangzhou", min_length=1, description="X-TC-Region")
    sign_name: str | None = Field(None, description="default sign name (its content, not its id)")
    sender_id: str | None = Field(None, description="sender id for international numbers")
    param_order: tuple[str, ...] | None = Field(None, description="names of the template params, in order")


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    service: str,
    host: str,
    timestamp: int,
    body: bytes,
    content_type: str = CONTENT_TYPE,
) -> str:
    """The ``Authorization`` header of a POST to ``/`` (TC3-HMAC-SHA256, ``content-type;host`` signed)."""
    date = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type.strip().lower()}",
            f"host:{host.strip().lower()}",
            "",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentProvider(Provider):
    """Tencent Cloud SMS. Settings: ``secret_id``, ``secret_key``, ``sdk_app_id``, ``region``, ``sign_name``."""

    name = "tencent"
    settings_model = TencentSettings
    max_recipients = 200
    positional_params = True
    default_endpoint = DEFAULT_HOST
    settings: TencentSettings

    def check(self, message: Outgoing) -> None:
        super().check(message)
        if self.sign_name(message) is None and any(p.is_mainland_china for p in message.phones):
            raise InvalidRequest(
                f"provider {self.alias!r} needs a sign name for mainland Chinese numbers "
                "(message sign_name, or sign_name in the provider settings)",
                field="sign_name",
            )

    def batch_key(self, message: Outgoing, phone: PhoneNumber) -> Hashable:
        """Mainland and international numbers never share a request."""
        return (phone.is_mainland_china, super().batch_key(message, phone))

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s = self.settings
        payload: dict[str, Any] = {
            "PhoneNumberSet": [p.e164 for p in recipients],
            "SmsSdkAppId": s.sdk_app_id,
            "TemplateId": self.template(message),
        }
        sign_name = self.sign_name(message)
        if sign_name is not None:
            payload["SignName"] = sign_name
        params = message.ordered_params(recipients[0], self.param_order)
        if params:
            payload["TemplateParamSet"] = params
        if message.out_id is not None:
            payload["SessionContext"] = message.out_id
        if message.extend_code is not None:
            payload["ExtendCode"] = message.extend_code
        if s.sender_id is not None and not recipients[0].is_mainland_china:
            payload["SenderId"] = s.sender_id
        body = json.dumps(payload).encode()
        timestamp = int(self.clock())
        host = self.endpoint.host
        authorization = tc3_authorization(
            s.secret_id, s.secret_key.get_secret_value(), service="sms", host=host, timestamp=timestamp, body=body
        )
        headers = {
            "Host": host,
            "Content-Type": CONTENT_TYPE,
            "X-TC-Action": ACTION,
            "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": s.region,
            "Authorization": authorization,
        }
        return self.request("POST", self.endpoint.base + "/", recipients, headers=headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        # Tencent answers HTTP 200 to everything; other statuses come from something in between.
        data = response.json()
        reply = data.get("Response") if isinstance(data, dict) else None
        if response.status != 200 or not isinstance(reply, dict):
            raise self.http_error(response, raw=data if data is not None else response.text[:2000])
        error = reply.get("Error")
        if isinstance(error, dict):
            raise classify(str(error.get("Code")), str(error.get("Message", "")), raw=data)
        rows = reply.get("SendStatusSet")
        if not isinstance(rows, list):
            raise OutcomeUnknown("the reply has neither Error nor SendStatusSet; the SMS may have been sent")
        by_phone = {str(row.get("PhoneNumber")): row for row in rows if isinstance(row, dict)}
        return [self._verdict(phone, by_phone.get(phone.e164)) for phone in request.recipients]

    def http_error(
        self, response: HttpResponse, *, code: str | None = None, text: str | None = None, raw: Any = None
    ) -> SmsError:
        """A 429 from something in between is not Tencent's documented (retryable) limit: not resent."""
        if response.status == 429:
            return Throttled("HTTP 429", provider_code="HTTP 429", retryable=False, retry_after=response.retry_after)
        return super().http_error(response, code=code, text=text, raw=raw)

    def _verdict(self, phone: PhoneNumber, row: dict[str, Any] | None) -> RecipientResult:
        if row is None:
            return RecipientResult.failed(phone, OutcomeUnknown("no status for this number", provider=self.alias))
        if row.get("Code") == "Ok":
            return self.accepted(phone, str(row.get("SerialNo") or "") or None, raw=row)
        error = classify(str(row.get("Code")), str(row.get("Message", "")), raw=row)
        error.provider = self.alias
        return RecipientResult.failed(phone, error, self.alias, raw=row)
