"""UCloud receipts: MsgType 2 pushes behind a path token."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/ucloud/s3cret"
SETTINGS = {"path_token": "s3cret"}
JSON = {"content-type": "application/json"}


def test_reports_parse() -> None:
    data = {"MsgType": 2, "Data": [
        {"SessionNo": "s1", "Phone": "13800138000", "CostCount": 1, "ReceiptTime": 1704067205,
         "ReceiptResult": "发送成功", "ReceiptCode": "Delivrd", "UserId": "u1"},
        {"SessionNo": "s1", "Phone": "(852)55550000", "ReceiptTime": 1704067206, "ReceiptResult": "Fail",
         "ReceiptCode": "UNDELIV"},
        {"SessionNo": "s1", "Phone": "13900139000", "ReceiptResult": "Unknow"},
    ]}  # fmt: skip
    push = parse_push("ucloud", "POST", URL, JSON, json.dumps(data), SETTINGS)
    assert [(r.phone, r.status, r.error_code) for r in push.reports] == [
        ("+8613800138000", DeliveryStatus.DELIVERED, None),
        ("+85255550000", DeliveryStatus.FAILED, "UNDELIV"),
        ("+8613900139000", DeliveryStatus.UNKNOWN, None),
    ]
    assert push.reports[0].done_at == 1704067205.0 and push.reports[0].provider_message_id == "s1"


def test_the_path_token_is_checked_and_other_messages_refused() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("ucloud", "POST", "https://example.com/ucloud/x", JSON, '{"MsgType": 2, "Data": []}', SETTINGS)
    with pytest.raises(InvalidRequest):
        parse_push("ucloud", "POST", URL, JSON, '{"MsgType": 7}', SETTINGS)


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("ucloud", "POST", URL, JSON, body, SETTINGS)
