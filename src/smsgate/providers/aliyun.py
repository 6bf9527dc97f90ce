"""``aliyun``: Alibaba Cloud SMS (Dysmsapi 2017-05-25): SendSms, SendBatchSms, QuerySendDetails.

Requests are RPC-style POSTs to ``/`` signed with ACS3-HMAC-SHA256 (or the legacy HMAC-SHA1 with
``signature_version="v2"``). Business outcomes come back as HTTP 200 with a ``Code``; gateway
errors (auth, signature, throttling) as 4xx/5xx JSON. SendSms is not idempotent: a timeout, a
5xx or ``isp.*`` is an unknown outcome, never retried by default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import Field, SecretStr

from .._errors import OutcomeUnknown, SmsError
from .._http import HttpRequest, HttpResponse
from .._models import Message, Outgoing, RecipientResult, Status
from .._phone import PhoneNumber
from . import _aliyun_wire as wire
from ._acs import EMPTY_SHA256, RpcSigner, send_sms_params, send_sms_query
from ._aliyun_errors import business_error, gateway_error, retry_after
from ._aliyun_wire import DeliveryRecord, DeliveryStatus, endpoint_for, invalid, pct_json, to_json, wire_phone
from .base import Provider, ProviderSettings

__all__ = ["AliyunProvider", "AliyunSettings", "DeliveryRecord", "DeliveryStatus", "endpoint_for", "wire_phone"]

VERSION = "2017-05-25"


class AliyunSettings(ProviderSettings):
    """Credentials and defaults for :class:`AliyunProvider`."""

    access_key_id: str = Field(min_length=1)
    access_key_secret: SecretStr
    region_id: str = "cn-hangzhou"
    sign_name: str | None = Field(None, description="default SignName when the message names none")
    security_token: SecretStr | None = Field(None, description="STS token, with temporary credentials")
    signature_version: Literal["v3", "v2"] = Field("v3", description="v3: ACS3-HMAC-SHA256; v2: legacy HMAC-SHA1")


class AliyunProvider(Provider):
    """Alibaba Cloud SMS. Settings: ``access_key_id``, ``access_key_secret``, ``region_id``,
    ``endpoint``, ``sign_name``, ``security_token``, ``signature_version``."""

    name = "aliyun"
    settings_model = AliyunSettings
    max_recipients = 1000  # SendSms; SendBatchSms (per-recipient params) takes 100
    batch_max_recipients = 100
    per_recipient_params = True
    settings: AliyunSettings

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        s = self.settings
        self._signer = RpcSigner(
            s.access_key_id,
            s.access_key_secret.get_secret_value(),
            host=self.endpoint.host,
            version=VERSION,
            token=s.security_token.get_secret_value() if s.security_token else None,
            signature_version=s.signature_version,
        )
        self._url = f"{self.endpoint.base}/"
        self._send_sms = self._signer.v3_headers("SendSms")

    def public_endpoint(self) -> str:
        return endpoint_for(self.settings.region_id)

    # -- splitting ---------------------------------------------------------------------------

    def batches(self, message: Message, recipients: Sequence[PhoneNumber]) -> list[tuple[PhoneNumber, ...]]:
        """SendSms takes 1000 numbers; with per-recipient params SendBatchSms takes 100."""
        size = self.batch_max_recipients if message.recipient_params else self.max_recipients
        phones = tuple(recipients)
        return [phones] if len(phones) <= size else [phones[i : i + size] for i in range(0, len(phones), size)]

    # -- SendSms / SendBatchSms --------------------------------------------------------------

    def check(self, message: Outgoing) -> None:
        """Besides a template code, Aliyun needs a sign name (on the message or in settings)."""
        if message.templates or not message.template:  # else the base's check has nothing to say
            super().check(message)
        if not (self.sign_name(message) if message.sign_names else message.sign_name or self.settings.sign_name):
            raise invalid("a sign name (SignName) is required: set it on the message or in settings", "sign_name")

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        template = self.template(message) if message.templates else message.template
        sign = self.sign_name(message) if message.sign_names else message.sign_name or self.settings.sign_name
        if not template:
            raise invalid("a template code (TemplateCode) is required", "template")
        if not sign:
            raise invalid("a sign name (SignName) is required: set it on the message or in settings", "sign_name")
        if message.recipient_params:  # SendBatchSms: per-recipient params, in a signed form body
            form = wire.batch_form(message, recipients, sign)
            query = {"TemplateCode": template, **({"OutId": message.out_id} if message.out_id else {})}
            body = urlencode(sorted(form.items())).encode()
            return self._signed("SendBatchSms", query, recipients, body=body, form=form)
        numbers = wire_phone(recipients[0]) if len(recipients) == 1 else ",".join([wire_phone(p) for p in recipients])
        extras = (message.out_id, message.extend_code)
        params = message.params
        if self._signer.signature_version == "v2":
            values = send_sms_params(numbers, sign, template, to_json(params) if params else None, *extras)
            return self._signed("SendSms", values, recipients)
        canonical = send_sms_query(numbers, sign, template, pct_json(params) if params else None, *extras)
        date, url, s = self._signer.date(self.clock()), f"{self._url}?{canonical}", self.settings
        headers = self._send_sms.sign(canonical, EMPTY_SHA256, date, self.nonce())  # the hot path: no dict of params
        return HttpRequest("POST", url, headers, b"", tuple(recipients), s.timeout, s.connect_timeout, s.proxy, _SMS)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = self._verdict(response)
        biz_id = data.get("BizId")
        message_id, alias, phones = str(biz_id) if biz_id is not None else None, self.alias, request.recipients
        if len(phones) == 1:  # no comprehension's frame for the usual request
            return [RecipientResult(phones[0], _ACCEPTED, alias, message_id, None, data)]
        return [RecipientResult(p, _ACCEPTED, alias, message_id, None, data) for p in phones]

    # -- QuerySendDetails --------------------------------------------------------------------

    def query_request(
        self,
        phone: str | PhoneNumber,
        send_date: str | datetime,
        *,
        biz_id: str | None = None,
        page_size: int = 50,
        page: int = 1,
    ) -> HttpRequest:
        """A QuerySendDetails request for ``phone`` on ``send_date`` (``yyyyMMdd`` or a datetime)."""
        number = PhoneNumber.parse(phone)
        if not 1 <= page_size <= 50:
            raise invalid("page_size must be between 1 and 50", "page_size")
        day = send_date.astimezone(wire.BEIJING).strftime("%Y%m%d") if isinstance(send_date, datetime) else send_date
        query = {"PhoneNumber": wire_phone(number), "SendDate": day}
        query.update(PageSize=str(page_size), CurrentPage=str(page))
        if biz_id:
            query["BizId"] = biz_id
        return self._signed("QuerySendDetails", query, (number,), context={"biz_id": biz_id})

    def parse_details(self, request: HttpRequest, response: HttpResponse) -> list[DeliveryRecord]:
        """The delivery records in a QuerySendDetails response; errors are raised as for sends."""
        data = self._verdict(response)
        dtos = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        biz_id = request.context.get("biz_id")
        try:
            return [wire.record_of(dto, biz_id) for dto in dtos]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise OutcomeUnknown("QuerySendDetails returned records that cannot be read", provider=self.alias) from exc

    # -- signing -----------------------------------------------------------------------------

    def _signed(
        self,
        action: str,
        query: dict[str, str],
        recipients: Sequence[PhoneNumber],
        *,
        body: bytes = b"",
        form: Mapping[str, str] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> HttpRequest:
        """The signed request for ``action``: ``query`` in the URL, ``body`` (``form``, encoded)."""
        signer = self._signer
        date, nonce = signer.date(self.clock()), self.nonce()
        canonical, headers = signer.sign(action, query, date=date, nonce=nonce, body=body, form=form)
        s, url = self.settings, f"{self._url}?{canonical}" if canonical else self._url
        context = {"action": action, **context} if context else {"action": action}
        return HttpRequest(
            "POST", url, headers, body, tuple(recipients), s.timeout, s.connect_timeout, s.proxy, context
        )

    # -- classifying -------------------------------------------------------------------------

    def _verdict(self, response: HttpResponse) -> dict[str, Any]:
        """The JSON body of a success; raises the classified error otherwise."""
        parsed = response.json()
        data: dict[str, Any] | None = parsed if isinstance(parsed, dict) else None
        status = response.status
        if status == 200 and data is not None and data.get("Code") == "OK":
            return data
        code = str(data.get("Code") or data.get("code") or "") if data else ""
        text = str(data.get("Message") or data.get("message") or "") if data else ""
        raw = data if data is not None else response.text[:2000]
        if 200 <= status < 300 and code:
            raise business_error(code, text, self.alias, raw)
        raise self.http_error(response, code=code, text=text, raw=raw)

    def code_error(self, response: HttpResponse, code: str, text: str, kw: dict[str, Any]) -> SmsError | None:
        return gateway_error(response, code, text, kw)

    def retry_after(self, response: HttpResponse) -> float | None:
        return retry_after(response)


_ACCEPTED = Status.ACCEPTED
_SMS = MappingProxyType({"action": "SendSms"})  # every SendSms request's context, shared (read-only)
