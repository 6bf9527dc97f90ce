"""Aliyun HTTP batch pushes (SmsReport, SmsUp, international): path token, parsing, bad bodies."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.emulators.receipts import aliyun_report, aliyun_up
from smsgate.receipts import parse_push

URL = "https://example.com/receipts/aliyun/tok3n"
SETTINGS = {"path_token": "tok3n"}
JSON = {"content-type": "application/json"}

DOC_REPORT = [
    {
        "phone_number": "13811111111",
        "send_time": "2017-01-01 00:00:00",
        "report_time": "2017-01-01 00:00:00",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": "12345",
        "out_id": "67890",
    }
]


def test_the_documented_report() -> None:
    push = parse_push("aliyun", "POST", URL, JSON, json.dumps(DOC_REPORT), SETTINGS)
    (report,) = push.reports
    assert (report.provider_message_id, report.phone, report.status) == (
        "12345",
        "+8613811111111",
        DeliveryStatus.DELIVERED,
    )
    assert report.submitted_at == 1483200000.0 and report.segments == 1  # Beijing time
    assert push.reply.status == 200 and json.loads(push.reply.body) == {"code": 0, "msg": "接收成功"}


def test_failures_inbound_and_international() -> None:
    body = [
        aliyun_report("13800138000", "B1", success=False, err_code="MK:0001"),
        aliyun_up("13800138000", "TD"),
        {"To": "6591234567", "Status": "6", "MessageId": "M1", "SmsSize": "2", "ErrorCode": "EXPIRED"},
    ]
    push = parse_push("aliyun", "POST", URL, JSON, json.dumps(body), SETTINGS)
    failed, expired = push.reports
    assert failed.status is DeliveryStatus.FAILED and failed.error_code == "MK:0001"
    assert expired.status is DeliveryStatus.EXPIRED and expired.phone == "+6591234567" and expired.segments == 2
    assert push.inbound[0].text == "TD" and push.inbound[0].sender == "+8613800138000"


def test_the_path_token_is_required_and_checked() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        parse_push("aliyun", "POST", URL, JSON, b"[]", {})
    for url in ("https://example.com/receipts/aliyun/wrong", "https://example.com/receipts/aliyun"):
        with pytest.raises(NotAuthentic) as info:
            parse_push("aliyun", "POST", url, JSON, json.dumps(DOC_REPORT), SETTINGS)
        assert info.value.reason == "token" and "tok3n" not in str(info.value)


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": 1}', b"[1]", b'[{"x": 1}]', b"\xff"])
def test_bad_bodies_are_typed(body: bytes) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_push("aliyun", "POST", URL, JSON, body, SETTINGS)
    assert info.value.field == "body"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: (
            st.lists(c, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "phone_number",
                        "success",
                        "err_code",
                        "biz_id",
                        "content",
                        "MessageId",
                        "Status",
                        "To",
                        "send_time",
                        "sms_size",
                    ]
                ),
                c,
                max_size=5,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_parses_or_is_typed(data: object) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("aliyun", "POST", URL, JSON, json.dumps(data), SETTINGS)
