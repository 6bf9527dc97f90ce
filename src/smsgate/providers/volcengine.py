"""``volcengine``: Volcengine (火山引擎; BytePlus abroad) template SMS, up to 200 numbers a request.

``POST https://sms.volcengineapi.com/?Action=SendSms&Version=2020-01-01`` with a JSON body:
``SmsAccount`` (the message group), ``Sign`` (signature text), ``TemplateID``, ``TemplateParam`` (a
JSON string of the named params), ``PhoneNumbers`` (comma-separated; mainland national, others E.164)
and ``Tag`` (the out id); signed ``HMAC-SHA256`` (service ``volcSMS``). The answer is
``{"ResponseMetadata": {...}, "Result": {"MessageID": [...]}}``, one id per number in input order,
or ``ResponseMetadata.Error`` with a ``Code``. With per-recipient params, ``Action=SendBatchSms``
(``Version=2021-01-01``, up to 200 numbers) carries ``Messages: [{"TemplateParam", "PhoneNumber"}]``
instead of ``TemplateParam`` and ``PhoneNumbers`` (field names [INF]); it answers the same way.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from pydantic import Field, SecretStr

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled
from .._http import HttpRequest, HttpResponse
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._hmac_chain import volcengine_authorization
from .base import Provider, ProviderSettings

__all__ = ["VolcengineProvider", "VolcengineSettings", "volcengine_authorization"]

API_HOST = "sms.volcengineapi.com"
QUERY = {"Action": "SendSms", "Version": "2020-01-01"}
BATCH_QUERY = {"Action": "SendBatchSms", "Version": "2021-01-01"}
_CATEGORIES = {
    **dict.fromkeys(["RE:0000", "RE:0007"], Category.AUTH),  # account auth, IP allow-list
    **dict.fromkeys(["RE:0001", "RE:0002", "RE:0010"], Category.QUOTA),  # not enabled, shut down, arrears
    **dict.fromkeys(["RE:0003", "RE:0009", "RE:0011", "RE:0012"], Category.INVALID),
    **dict.fromkeys(["RE:0004", "RE:0005"], Category.TEMPLATE),  # signature, template
    "RE:0006": Category.RECIPIENT,  # phone format
    **dict.fromkeys(
        ["InvalidTimestamp", "InvalidAccessKey", "SignatureDoesNotMatch", "MissingSignature",
         "MissingAuthenticationToken", "MissingRequestInfo", "InvalidCredential"],
        Category.AUTH,
    ),
}  # fmt: skip


class VolcengineSettings(ProviderSettings):
    access_key_id: str = Field(..., min_length=1, description="the access key id")
    secret_access_key: SecretStr = Field(..., description="the secret access key")
    sms_account: str = Field(..., min_length=1, description="the message group id (SmsAccount)")
    sign_name: str | None = Field(None, description="the default signature text (Sign)")
    region: str = Field("cn-north-1", min_length=1, description="the signing region (ap-singapore-1 for BytePlus)")


class VolcengineProvider(Provider):
    """Volcengine SMS. Settings: ``access_key_id``, ``secret_access_key``, ``sms_account``; optional
    ``sign_name``, ``region``, ``endpoint`` (``sms.byteplusapi.com`` for BytePlus)."""

    name = "volcengine"
    settings_model = VolcengineSettings
    max_recipients = 200  # SendSms and SendBatchSms alike
    per_recipient_params = True
    default_endpoint = API_HOST

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        s: VolcengineSettings = self.settings
        payload: dict[str, Any] = {"SmsAccount": s.sms_account, "Sign": self.sign_name(message),
                                   "TemplateID": self.template(message)}  # fmt: skip
        query = BATCH_QUERY if message.recipient_params else QUERY
        if message.recipient_params:  # SendBatchSms: each number with its own params
            payload["Messages"] = [
                {"TemplateParam": _params(message, p), "PhoneNumber": _number(p)} for p in recipients
            ]
        else:
            payload["TemplateParam"] = _params(message, recipients[0])
            payload["PhoneNumbers"] = ",".join(_number(p) for p in recipients)
        if message.out_id:
            payload["Tag"] = message.out_id
        body = json.dumps(payload, ensure_ascii=False).encode()
        x_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "Host": self.endpoint.host,
            "X-Content-Sha256": hashlib.sha256(body).hexdigest(),
            "X-Date": x_date,
        }
        headers["Authorization"] = volcengine_authorization(
            s.access_key_id, s.secret_access_key.get_secret_value(), method="POST", path="/", query=query,
            headers=headers, body=body, x_date=x_date, region=s.region,
        )  # fmt: skip
        url = f"{self.endpoint.base}/?Action={query['Action']}&Version={query['Version']}"
        return self.request("POST", url, recipients, headers=headers, body=body)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = response.json()
        meta = data.get("ResponseMetadata") if isinstance(data, dict) else None
        error = (meta.get("Error") if isinstance(meta, dict) else None) or {}
        ids = (data.get("Result") or {}).get("MessageID") if isinstance(data, dict) and not error else None
        if response.status == 200 and isinstance(ids, list) and len(ids) == len(request.recipients):
            return [self.accepted(p, str(i), raw=data) for p, i in zip(request.recipients, ids, strict=True)]
        code = str(error.get("Code") or "") if isinstance(error, dict) else ""
        text = str(error.get("Message") or "") if isinstance(error, dict) else ""
        raw = data if data is not None else response.text
        if response.status == 429:  # an undocumented limit: the request may have been processed
            said = "rate limited (HTTP 429), the message may have been sent"
            raise OutcomeUnknown(said, provider=self.alias, provider_code=code or "HTTP 429", raw=raw)
        raise self.http_error(response, code=code or None, text=text or None, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        return self.refusal(code, text, kw["raw"])

    def refusal(self, code: str, text: str, raw: Any) -> SmsError:
        """The error a Volcengine ``Code`` stands for: undocumented codes (and ``RE:0500``) are unknown outcomes."""
        kw: dict[str, Any] = {"provider": self.alias, "provider_code": code, "provider_message": text or None}
        if code == "RE:0013":  # the console's send cap: nothing sent, not worth retrying now
            return Throttled(f"send cap reached: {text or code}", retryable=False, raw=raw, **kw)
        category = _CATEGORIES.get(code)
        if category is None:  # RE:0500, FlowLimitExceeded and anything undocumented: may have been processed
            return OutcomeUnknown(f"no usable verdict ({code}): {text}", raw=raw, **kw)
        return Rejected(f"refused: {text or code}", category=category, raw=raw, **kw)


def _number(phone: PhoneNumber) -> str:
    return phone.national_number if phone.is_mainland_china else phone.e164


def _params(message: Message, phone: PhoneNumber) -> str:
    """``TemplateParam``: the recipient's named params as a JSON string."""
    return json.dumps(message.params_for(phone), ensure_ascii=False)
