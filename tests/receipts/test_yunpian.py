"""Yunpian receipts: sms_status and sms_reply fields, answered SUCCESS, behind a path token."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/yunpian/s3cret"
SETTINGS = {"path_token": "s3cret"}
FORM = {"content-type": "application/x-www-form-urlencoded;charset=utf-8"}
REPORTS = [
    {"sid": 9527000000000000001, "uid": "u1", "user_receive_time": "2024-01-01 12:00:00", "error_msg": "DELIVRD",
     "mobile": "13800138000", "report_status": "SUCCESS", "error_detail": ""},
    {"sid": 9527000000000000002, "uid": "", "user_receive_time": "2024-01-01 12:00:01", "error_msg": "DB:0103",
     "mobile": "13900139000", "report_status": "FAIL", "error_detail": "无法送达"},
]  # fmt: skip


def test_reports_parse_with_64_bit_ids_and_the_expected_answer() -> None:
    push = parse_push("yunpian", "POST", URL, FORM, urlencode({"sms_status": json.dumps(REPORTS)}), SETTINGS)
    assert push.reply.body == b"SUCCESS"
    assert [(r.provider_message_id, r.phone, r.status, r.error_code) for r in push.reports] == [
        ("9527000000000000001", "+8613800138000", DeliveryStatus.DELIVERED, None),
        ("9527000000000000002", "+8613900139000", DeliveryStatus.FAILED, "DB:0103"),
    ]
    assert push.reports[0].done_at == 1704081600.0


def test_a_field_encoded_twice_and_a_reply() -> None:
    twice = urlencode({"sms_status": quote(json.dumps(REPORTS[:1]))})
    assert len(parse_push("yunpian", "POST", URL, FORM, twice, SETTINGS).reports) == 1
    reply = [{"id": "r1", "mobile": "13800138000", "text": "退订", "reply_time": "2024-01-01 12:00:00", "extend": "01"}]
    (message,) = parse_push("yunpian", "POST", URL, FORM, urlencode({"sms_reply": json.dumps(reply)}), SETTINGS).inbound
    assert (message.sender, message.text) == ("+8613800138000", "退订")


def test_the_path_token_is_checked() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("yunpian", "POST", "https://example.com/yunpian/x", FORM, "sms_status=[]", SETTINGS)


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("yunpian", "POST", URL, FORM, body, SETTINGS)
