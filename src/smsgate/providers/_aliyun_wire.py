"""Aliyun's wire values: API hosts, phone numbers, JSON params, and QuerySendDetails records (provider-specs §1)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from .._errors import InvalidRequest
from .._message import Message
from .._phone import PhoneNumber
from ._acs import pct

__all__ = [
    "BEIJING",
    "DeliveryRecord",
    "DeliveryStatus",
    "batch_form",
    "endpoint_for",
    "invalid",
    "pct_json",
    "record_of",
    "to_json",
    "wire_phone",
]

BEIJING = timezone(timedelta(hours=8))
MAINLAND_HOST = "dysmsapi.aliyuncs.com"
_INTERNATIONAL_HOSTS = {
    "ap-southeast-1": "dysmsapi.ap-southeast-1.aliyuncs.com",
    "ap-southeast-5": "dysmsapi.ap-southeast-5.aliyuncs.com",
    "eu-central-1": "dysmsapi.eu-central-1.aliyuncs.com",
    "us-east-1": "dysmsapi.us-east-1.aliyuncs.com",
    "cn-hongkong": "dysmsapi-xman.cn-hongkong.aliyuncs.com",
}


def endpoint_for(region_id: str) -> str:
    """The public API host of ``region_id``: one host for the mainland, one per international site."""
    if region_id in _INTERNATIONAL_HOSTS:
        return _INTERNATIONAL_HOSTS[region_id]
    return MAINLAND_HOST if region_id.startswith("cn-") else f"dysmsapi.{region_id}.aliyuncs.com"


def wire_phone(phone: PhoneNumber) -> str:
    """Mainland numbers as the 11-digit national number; others as country code + number, no ``+``."""
    return phone.national_number if phone.country_code == 86 else phone.e164[1:]


def to_json(value: Any) -> str:
    """Compact JSON, non-ASCII kept as is (what ``json.dumps(ensure_ascii=False)`` writes, faster)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:  # a lone surrogate: not text that can be sent
        raise invalid(f"template params must be valid Unicode text ({exc})", "params") from None


def batch_form(message: Message, recipients: Sequence[PhoneNumber], sign: str) -> dict[str, str]:
    """The form of a SendBatchSms: one phone, sign name and params (and extend code) per recipient."""
    phones = [wire_phone(p) for p in recipients]
    form = {
        "PhoneNumberJson": to_json(phones),
        "SignNameJson": to_json([sign] * len(phones)),
        "TemplateParamJson": to_json([message.params_for(p) for p in recipients]),
    }
    if message.extend_code:
        form["SmsUpExtendCodeJson"] = to_json([message.extend_code] * len(phones))
    return form


def pct_json(params: Mapping[str, str]) -> str:
    """``pct(to_json(params))``, written at once when every name and value is ASCII letters and
    digits (the usual params: a code, an amount), whose JSON and encoding are known."""
    parts = []
    for name, value in params.items():
        if not (type(value) is str and name.isalnum() and value.isalnum() and name.isascii() and value.isascii()):
            return pct(to_json(params))
        parts.append(f"%22{name}%22%3A%22{value}%22")
    return f"%7B{'%2C'.join(parts)}%7D"


def invalid(text: str, field: str) -> InvalidRequest:
    """Bad input for Aliyun, naming the field."""
    return InvalidRequest(f"aliyun: {text}", field=field)


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


def record_of(dto: Mapping[str, Any], biz_id: str | None) -> DeliveryRecord:
    """The record for one ``SmsSendDetailDTO``; raises ``KeyError``/``ValueError``… for one it cannot read."""
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


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
