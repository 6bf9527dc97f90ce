"""Volcengine receipts: JSON-array pushes behind a path token."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/volcengine/s3cret"
SETTINGS = {"path_token": "s3cret"}
JSON = {"content-type": "application/json;charset=utf-8"}


def test_reports_parse() -> None:
    data = [
        {"account": "a", "mobile": "13800138000", "message_id": "m1", "status_code": "0", "description": "DELIVRD",
         "msg_count": 2, "ext": "u1", "send_time": 1704067200000, "recv_time": 1704067205000},
        {"account": "a", "mobile": "+85255550000", "message_id": "m2", "status_code": "CR:0201",
         "description": "blacklist"},
    ]  # fmt: skip
    push = parse_push("volcengine", "POST", URL, JSON, json.dumps(data), SETTINGS)
    assert [(r.phone, r.status, r.error_code, r.provider_message_id) for r in push.reports] == [
        ("+8613800138000", DeliveryStatus.DELIVERED, None, "m1"),
        ("+85255550000", DeliveryStatus.FAILED, "CR:0201", "m2"),
    ]
    assert push.reports[0].done_at == 1704067205.0 and push.reports[0].segments == 2


def test_the_path_token_is_checked_and_other_bodies_refused() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("volcengine", "POST", "https://example.com/volcengine/x", JSON, "[]", SETTINGS)
    with pytest.raises(InvalidRequest):
        parse_push("volcengine", "POST", URL, JSON, '[{"type": "review"}]', SETTINGS)


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("volcengine", "POST", URL, JSON, body, SETTINGS)
