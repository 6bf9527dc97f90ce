"""Tencent callbacks: path token, status and reply shapes, bad bodies."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/receipts/tencent/tok3n"
SETTINGS = {"path_token": "tok3n"}
JSON = {"content-type": "application/json"}
DOC = [
    {
        "user_receive_time": "2015-10-17 08:03:04",
        "nationcode": "86",
        "mobile": "13800138000",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": "5000:1",
    },
    {
        "user_receive_time": "2015-10-17 08:03:05",
        "nationcode": "86",
        "mobile": "13900139000",
        "report_status": "FAIL",
        "errmsg": "MK:0001",
        "description": "失败",
        "sid": "5000:2",
    },
    {"extend": "", "mobile": "13800138000", "nationcode": "86", "sign": "腾讯云", "text": "TD", "time": 1470000000},
]


def test_the_documented_shapes() -> None:
    push = parse_push("tencent", "POST", URL, JSON, json.dumps(DOC), SETTINGS)
    ok, failed = push.reports
    assert (ok.provider_message_id, ok.phone, ok.status) == ("5000:1", "+8613800138000", DeliveryStatus.DELIVERED)
    assert failed.status is DeliveryStatus.FAILED and failed.error_code == "MK:0001"
    assert push.inbound[0].received_at == 1470000000 and push.inbound[0].to == "腾讯云"
    assert json.loads(push.reply.body) == {"result": 0, "errmsg": "OK"}


def test_a_wrong_token_is_refused() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("tencent", "POST", URL[:-1], JSON, json.dumps(DOC), SETTINGS)


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(
                ["nationcode", "mobile", "report_status", "errmsg", "sid", "text", "time", "user_receive_time"]
            ),
            st.none() | st.integers() | st.text(max_size=8) | st.floats(),
            max_size=6,
        ),
        max_size=3,
    )
)
def test_any_rows_parse_or_are_typed(data: list[dict[str, object]]) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("tencent", "POST", URL, JSON, json.dumps(data), SETTINGS)
