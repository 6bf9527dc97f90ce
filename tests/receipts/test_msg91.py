"""MSG91 receipts: the legacy form webhook and per-number JSON, behind a path token."""

from __future__ import annotations

import contextlib
import json
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/msg91/s3cret"
SETTINGS = {"path_token": "s3cret"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
LEGACY = [{"senderId": "SMSGTE", "requestId": "5e1e93cad6fc054d8e759a5b", "userId": "1", "report": [
    {"date": "2024-05-22 10:06:20", "number": "919812345601", "status": "1", "desc": "DELIVERED"},
    {"date": "2024-05-22 10:06:21", "number": "919812345602", "status": "2", "desc": "FAILED",
     "failedReason": "Absent subscriber"},
    {"date": "2024-05-22 10:06:22", "number": "919812345603", "status": "17", "desc": "BLOCKED"},
]}]  # fmt: skip


def test_the_legacy_form_parses() -> None:
    push = parse_push("msg91", "POST", URL, FORM, urlencode({"data": json.dumps(LEGACY)}), SETTINGS)
    assert [(r.phone, r.status, r.error_code) for r in push.reports] == [
        ("+919812345601", DeliveryStatus.DELIVERED, None),
        ("+919812345602", DeliveryStatus.FAILED, "Absent subscriber"),
        ("+919812345603", DeliveryStatus.REJECTED, "17"),
    ]
    assert {r.provider_message_id for r in push.reports} == {"5e1e93cad6fc054d8e759a5b"}
    assert push.reports[0].done_at == 1716352580.0  # India time


def test_per_number_json_parses_and_pending_settles_nothing() -> None:
    one = {"requestId": "r1", "number": "919812345601", "status": "1", "date": "2024-05-22 10:06:20"}
    push = parse_push("msg91", "POST", URL, {"content-type": "application/json"}, json.dumps(one), SETTINGS)
    assert [r.provider_message_id for r in push.reports] == ["r1"]
    queued = {**one, "status": "8"}
    assert (
        parse_push("msg91", "POST", URL, {"content-type": "application/json"}, json.dumps(queued), SETTINGS).pending
        == 1
    )


def test_the_path_token_is_checked() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("msg91", "POST", "https://example.com/msg91/x", FORM, urlencode({"data": "[]"}), SETTINGS)


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("msg91", "POST", URL, FORM, body, SETTINGS)
