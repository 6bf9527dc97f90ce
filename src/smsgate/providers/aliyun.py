"""``aliyun``: Alibaba Cloud SMS (Dysmsapi 2017-05-25): SendSms, SendBatchSms, QuerySendDetails.

Requests are RPC-style POSTs to ``/`` signed with ACS3-HMAC-SHA256 (or the legacy HMAC-SHA1 with
``signature_version="v2"``). Business outcomes come back as HTTP 200 with a ``Code``; gateway
errors (auth, signature, throttling) as 4xx/5xx JSON. SendSms is not idempotent: a timeout, a
5xx or ``isp.*`` is an unknown outcome, never retried by default.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal
from urllib.parse import urlencode

import orjson
from pydantic import Field, SecretStr

from .._errors import ConfigError, InvalidRequest, OutcomeUnknown
from .._http import HttpRequest, HttpResponse, split_endpoint
from .._models import Message, RecipientResult, Status
from .._phone import PhoneNumber
from ._acs import EMPTY_SHA256, canonical_query, pct, rpc_signature, v3_signer
from ._aliyun_errors import business_error, gateway_error, retry_after
from .base import Provider, ProviderSettings

__all__ = ["AliyunProvider", "AliyunSettings", "DeliveryRecord", "DeliveryStatus"]

VERSION = "2017-05-25"
MAINLAND_HOST = "dysmsapi.aliyuncs.com"
_INTERNATIONAL_HOSTS = {
    "ap-southeast-1": "dysmsapi.ap-southeast-1.aliyuncs.com",
    "ap-southeast-5": "dysmsapi.ap-southeast-5.aliyuncs.com",
    "eu-central-1": "dysmsapi.eu-central-1.aliyuncs.com",
    "us-east-1": "dysmsapi.us-east-1.aliyuncs.com",
    "cn-hongkong": "dysmsapi-xman.cn-hongkong.aliyuncs.com",
}
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_FORM = "application/x-www-form-urlencoded"
_V3_PER_REQUEST = ("x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version")
_BEIJING = timezone(timedelta(hours=8))


class AliyunSettings(ProviderSettings):
    """Credentials and defaults for :class:`AliyunProvider`."""

    access_key_id: str = Field(min_length=1)
    access_key_secret: SecretStr
    region_id: str = "cn-hangzhou"
    sign_name: str | None = Field(None, description="default SignName when the message names none")
    security_token: SecretStr | None = Field(None, description="STS token, with temporary credentials")
    signature_version: Literal["v3", "v2"] = Field("v3", description="v3: ACS3-HMAC-SHA256; v2: legacy HMAC-SHA1")


def endpoint_for(region_id: str) -> str:
    """The public API host of ``region_id``: one host for the mainland, one per international site."""
    if region_id in _INTERNATIONAL_HOSTS:
        return _INTERNATIONAL_HOSTS[region_id]
    return MAINLAND_HOST if region_id.startswith("cn-") else f"dysmsapi.{region_id}.aliyuncs.com"


def wire_phone(phone: PhoneNumber) -> str:
    """Mainland numbers as the 11-digit national number; others as country code + number, no ``+``."""
    return phone.national_number if phone.country_code == 86 else phone.e164[1:]


class DeliveryStatus(str, enum.Enum):
    """A receipt's verdict (QuerySendDetails ``SendStatus`` 1, 2, 3)."""

    PENDING = "pending"
    FAILED = "failed"
    DELIVERED = "delivered"

    def __str__(self) -> str:
        return self.value


_SEND_STATUS = {1: DeliveryStatus.PENDING, 2: DeliveryStatus.FAILED, 3: DeliveryStatus.DELIVERED}


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One row of QuerySendDetails. Dates are aware datetimes (Aliyun reports Beijing time)."""

    phone: str
    status: DeliveryStatus
    err_code: str | None
    send_date: datetime | None
    receive_date: datetime | None
    out_id: str | None
    biz_id: str | None
    template_code: str | None = None
    content: str | None = None


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
        endpoint = s.endpoint or endpoint_for(s.region_id)
        scheme = "http" if "://" not in endpoint and endpoint.startswith(_LOOPBACK) else "https"
        try:
            self._base, self._host = split_endpoint(endpoint, scheme)
        except ValueError as exc:
            raise ConfigError(f"provider {self.alias!r}: endpoint: {exc}") from None
        self._secret = s.access_key_secret.get_secret_value()
        self._token = s.security_token.get_secret_value() if s.security_token else None
        self._stamp_cache: tuple[int, str] = (-1, "")
        # V3: the signed header names are fixed, and so are the lines before x-acs-action
        ak = s.access_key_id
        self._signs: dict[str, str] = {}
        self._sign = v3_signer(self._secret.encode())
        sts = ("x-acs-accesskey-id", "x-acs-security-token") if self._token else ()
        names = sorted(["accept", "content-type", "host", *_V3_PER_REQUEST, *sts])
        self._signed_names = ";".join(names)
        self._lines = f"accept:application/json\ncontent-type:{_FORM}\nhost:{self._host}\n"
        self._lines += f"x-acs-accesskey-id:{ak}\n" if self._token else ""
        self._credential = f"ACS3-HMAC-SHA256 Credential={ak},SignedHeaders={self._signed_names},Signature="

    # -- splitting ---------------------------------------------------------------------------

    def batches(self, message: Message, recipients: Sequence[PhoneNumber]) -> list[tuple[PhoneNumber, ...]]:
        """SendSms takes 1000 numbers; with per-recipient params SendBatchSms takes 100."""
        size = self.batch_max_recipients if message.recipient_params else self.max_recipients
        phones = tuple(recipients)
        if len(phones) <= size:
            return [phones]
        return [phones[i : i + size] for i in range(0, len(phones), size)]

    # -- SendSms / SendBatchSms --------------------------------------------------------------

    def check(self, message: Message) -> None:
        """Besides a template code, Aliyun needs a sign name (on the message or in settings)."""
        super().check(message)
        if not message.sign_name_for(self.alias, self.name, default=self.settings.sign_name):
            raise _invalid("a sign name (SignName) is required: set it on the message or in settings", "sign_name")

    def build_request(self, message: Message, recipients: Sequence[PhoneNumber]) -> HttpRequest:
        template = message.template_for(self.alias, self.name)
        sign = message.sign_name_for(self.alias, self.name, default=self.settings.sign_name)
        if not template:
            raise _invalid("a template code (TemplateCode) is required", "template")
        if not sign:
            raise _invalid("a sign name (SignName) is required: set it on the message or in settings", "sign_name")
        query: dict[str, str] = {"TemplateCode": template}
        if message.out_id:
            query["OutId"] = message.out_id
        if message.recipient_params:
            phones = [wire_phone(p) for p in recipients]
            form = {
                "PhoneNumberJson": _json(phones),
                "SignNameJson": _json([sign] * len(phones)),
                "TemplateParamJson": _json([message.params_for(p) for p in recipients]),
            }
            if message.extend_code:
                form["SmsUpExtendCodeJson"] = _json([message.extend_code] * len(phones))
            body = urlencode(sorted(form.items())).encode()
            return self._signed("SendBatchSms", query, recipients, body=body, form=form)
        query["PhoneNumbers"] = ",".join([wire_phone(p) for p in recipients])
        if message.params:
            query["TemplateParam"] = _json(message.params)
        if message.extend_code:
            query["SmsUpExtendCode"] = message.extend_code
        return self._signed("SendSms", query, recipients, sign=sign)

    def parse(self, request: HttpRequest, response: HttpResponse) -> list[RecipientResult]:
        data = self._verdict(response)
        biz_id = data.get("BizId")
        message_id = str(biz_id) if biz_id is not None else None
        return [RecipientResult(p, _ACCEPTED, self.alias, message_id=message_id, raw=data) for p in request.recipients]

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
            raise _invalid("page_size must be between 1 and 50", "page_size")
        day = send_date.astimezone(_BEIJING).strftime("%Y%m%d") if isinstance(send_date, datetime) else send_date
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
            return [_record(dto, biz_id) for dto in dtos]
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
        sign: str | None = None,
    ) -> HttpRequest:
        """The request for ``action`` with ``query`` as URL params and ``body`` (``form``, encoded), signed;
        ``sign`` is the SignName param (encoded once per name)."""
        stamp = self._stamp(int(self.clock()))
        nonce = self.nonce()
        context = {"action": action, **context} if context else {"action": action}
        if self.settings.signature_version == "v2":
            if sign is not None:
                query["SignName"] = sign
            return self._signed_v2(action, query, recipients, body, form, context, stamp, nonce)
        digest = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
        canonical = canonical_query(query, {"SignName": self._sign_pct(sign)} if sign is not None else None)
        # the canonical headers, in name order, with the per-request values in their places
        token = f"x-acs-security-token:{self._token.strip()}\n" if self._token else ""
        lines = f"{self._lines}x-acs-action:{action}\nx-acs-content-sha256:{digest}\nx-acs-date:{stamp}\n{token}"
        lines += f"x-acs-signature-nonce:{nonce.strip()}\nx-acs-version:{VERSION}\n"
        signature = self._sign(f"POST\n/\n{canonical}\n{lines}\n{self._signed_names}\n{digest}")
        headers = {
            "host": self._host,
            "accept": "application/json",
            "content-type": _FORM,  # even without a body: some clients add their own, which Aliyun wants signed
            "x-acs-action": action,
            "x-acs-content-sha256": digest,
            "x-acs-date": stamp,
            "x-acs-signature-nonce": nonce,
            "x-acs-version": VERSION,
            "authorization": f"{self._credential}{signature}",
        }
        if self._token:
            headers["x-acs-security-token"] = self._token
            headers["x-acs-accesskey-id"] = self.settings.access_key_id
        url = f"{self._base}/?{canonical}" if canonical else f"{self._base}/"
        return self._request(url, headers, body, recipients, context)

    def _signed_v2(
        self,
        action: str,
        query: dict[str, str],
        recipients: Sequence[PhoneNumber],
        body: bytes,
        form: Mapping[str, str] | None,
        context: Mapping[str, Any],
        stamp: str,
        nonce: str,
    ) -> HttpRequest:
        """The legacy RPC signature: common params in the query, HMAC-SHA1 over query and form."""
        query.update(
            Action=action,
            Version=VERSION,
            Format="json",
            Timestamp=stamp,
            SignatureNonce=nonce,
            SignatureMethod="HMAC-SHA1",
            SignatureVersion="1.0",
            AccessKeyId=self.settings.access_key_id,
        )
        if self._token:
            query["SecurityToken"] = self._token
        query["Signature"] = rpc_signature("POST", {**query, **(form or {})}, self._secret)
        headers = {"host": self._host, "accept": "application/json", "content-type": _FORM}
        return self._request(f"{self._base}/?{canonical_query(query)}", headers, body, recipients, context)

    def _request(
        self, url: str, headers: dict[str, str], body: bytes, recipients: Sequence[PhoneNumber], context: Any
    ) -> HttpRequest:
        s = self.settings
        return HttpRequest(
            "POST", url, headers, body, tuple(recipients), s.timeout, s.connect_timeout, s.proxy, context
        )

    def _sign_pct(self, sign: str) -> str:
        """``pct(sign)``, remembered: sign names are few and public, and Chinese ones cost a ``quote``."""
        encoded = self._signs.get(sign)
        if encoded is None:
            if len(self._signs) >= 64:
                self._signs.clear()
            encoded = self._signs[sign] = pct(sign)
        return encoded

    def _stamp(self, second: int) -> str:
        """``x-acs-date`` / ``Timestamp`` for ``second`` (UTC), formatted once per second."""
        cached = self._stamp_cache  # one tuple, swapped whole: safe across threads
        if cached[0] != second:
            cached = self._stamp_cache = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
        return cached[1]

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
        if 200 <= status < 300:
            if not code:
                raise OutcomeUnknown(f"unreadable reply (HTTP {status})", provider=self.alias, raw=raw)
            raise business_error(code, text, self.alias, raw)
        raise gateway_error(status, code, text, retry_after(response), self.alias, raw)


_ACCEPTED = Status.ACCEPTED


def _json(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (what ``json.dumps(ensure_ascii=False)`` writes, faster)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:  # a lone surrogate: not text that can be sent
        raise _invalid(f"template params must be valid Unicode text ({exc})", "params") from None


def _invalid(text: str, field: str) -> InvalidRequest:
    return InvalidRequest(f"aliyun: {text}", field=field)


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BEIJING)


def _record(dto: Mapping[str, Any], biz_id: str | None) -> DeliveryRecord:
    return DeliveryRecord(
        phone=str(dto["PhoneNum"]),
        status=_SEND_STATUS[int(dto["SendStatus"])],
        err_code=dto.get("ErrCode") or None,
        send_date=_when(dto.get("SendDate")),
        receive_date=_when(dto.get("ReceiveDate")),
        out_id=dto.get("OutId") or None,
        biz_id=biz_id,
        template_code=dto.get("TemplateCode"),
        content=dto.get("Content"),
    )
