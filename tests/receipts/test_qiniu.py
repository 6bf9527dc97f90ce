"""Qiniu receipts: ``items`` pushes (reports and replies) behind a path token."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/qiniu/s3cret"
SETTINGS = {"path_token": "s3cret"}
JSON = {"content-type": "application/json"}


def test_reports_and_replies_parse() -> None:
    data = {"items": [
        {"mobile": "13800138000", "message_id": "m1", "job_id": "j1", "status": "DELIVRD", "delivrd_at": 1704067205},
        {"mobile": "13800138001", "message_id": "m2", "job_id": "j1", "status": "FAILED", "error": "601"},
        {"mobile": "13800138002", "message_id": "m3", "status": "sending"},
    ]}  # fmt: skip
    push = parse_push("qiniu", "POST", URL, JSON, json.dumps(data), SETTINGS)
    assert [(r.phone, r.status, r.error_code, r.provider_message_id) for r in push.reports] == [
        ("+8613800138000", DeliveryStatus.DELIVERED, None, "j1"),
        ("+8613800138001", DeliveryStatus.FAILED, "601", "j1"),
    ]
    assert push.pending == 1 and push.reports[0].done_at == 1704067205.0
    mo = {"items": [{"dest_code": "1069", "mobile": "13800138000", "content": "TD", "time": 1704067300}]}
    (inbound,) = parse_push("qiniu", "POST", URL, JSON, json.dumps(mo), SETTINGS).inbound
    assert (inbound.sender, inbound.text, inbound.to) == ("+8613800138000", "TD", "1069")
    assert inbound.received_at == 1704067300.0


def test_the_path_token_is_checked_and_other_bodies_refused() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("qiniu", "POST", "https://example.com/qiniu/x", JSON, '{"items": []}', SETTINGS)
    with pytest.raises(InvalidRequest):
        parse_push("qiniu", "POST", URL, JSON, "[1, 2]", SETTINGS)


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("qiniu", "POST", URL, JSON, body, SETTINGS)
