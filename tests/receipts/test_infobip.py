"""Infobip receipts: a path token, reports in every status group, inbound messages."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/infobip/s3cret"
SETTINGS = {"path_token": "s3cret"}
REPORT = {
    "bulkId": "b1", "messageId": "m1", "to": "41793026727", "sentAt": "2019-08-09T17:00:00.000+0000",
    "doneAt": "2019-08-09T17:00:05.000+0000", "messageCount": 1, "price": {"pricePerMessage": 0.01, "currency": "EUR"},
    "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
    "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
}  # fmt: skip


def push(results: list[dict[str, object]], url: str = URL):  # type: ignore[no-untyped-def]
    body = json.dumps({"results": results})
    return parse_push("infobip", "POST", url, {"content-type": "application/json"}, body, SETTINGS)


def test_a_report_parses() -> None:
    (report,) = push([REPORT]).reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+41793026727"
    assert (report.provider_message_id, report.price, report.currency) == ("m1", "0.01", "EUR")
    assert report.done_at == 1565370005.0 and report.error_code is None


@pytest.mark.parametrize(
    ("group", "expected"),
    [("UNDELIVERABLE", DeliveryStatus.FAILED), ("EXPIRED", DeliveryStatus.EXPIRED),
     ("REJECTED", DeliveryStatus.REJECTED)],
)  # fmt: skip
def test_failures_are_normalised(group: str, expected: DeliveryStatus) -> None:
    row = {**REPORT, "status": {"groupName": group, "name": f"{group}_X"}, "error": {"name": "EC_ABSENT_SUBSCRIBER"}}
    (report,) = push([row]).reports
    assert report.status is expected and report.error_code == "EC_ABSENT_SUBSCRIBER"


def test_pending_settles_nothing_and_inbound_parses() -> None:
    pending = {**REPORT, "status": {"groupName": "PENDING", "name": "PENDING_ENROUTE"}}
    inbound = {"messageId": "i1", "from": "41793026727", "to": "41793026000", "text": "STOP",
               "receivedAt": "2019-08-09T17:00:00.000+0000"}  # fmt: skip
    got = push([pending, inbound])
    assert got.reports == [] and got.pending == 1
    assert [(m.sender, m.text) for m in got.inbound] == [("+41793026727", "STOP")]


def test_the_path_token_is_required_and_checked() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        parse_push("infobip", "POST", URL, {}, "{}", {})
    with pytest.raises(NotAuthentic) as info:
        push([REPORT], "https://example.com/infobip/guess")
    assert info.value.reason == "token"


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("infobip", "POST", URL, {"content-type": "application/json"}, body, SETTINGS)
