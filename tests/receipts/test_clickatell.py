"""Clickatell receipts: status callbacks and incoming messages behind a path token."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/clickatell/s3cret"
SETTINGS = {"path_token": "s3cret"}


def push(data: object, url: str = URL):  # type: ignore[no-untyped-def]
    return parse_push("clickatell", "POST", url, {"content-type": "application/json"}, json.dumps(data), SETTINGS)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("004", DeliveryStatus.DELIVERED), ("007", DeliveryStatus.FAILED), ("010", DeliveryStatus.EXPIRED),
     ("012", DeliveryStatus.REJECTED), (4, DeliveryStatus.DELIVERED)],
)  # fmt: skip
def test_status_codes_are_normalised(code: object, expected: DeliveryStatus) -> None:
    (report,) = push({"messageId": "m1", "to": "27111111111", "statusCode": code, "timestamp": 1704067205000}).reports
    assert report.status is expected and report.phone == "+27111111111" and report.done_at == 1704067205.0


def test_intermediate_statuses_and_inbound() -> None:
    assert push({"messageId": "m1", "to": "27111111111", "statusCode": "003"}).pending == 1
    inbound = {"messageId": "i1", "fromNumber": "27111111111", "toNumber": "27000000000", "text": "STOP"}
    assert [(m.sender, m.text) for m in push(inbound).inbound] == [("+27111111111", "STOP")]


def test_the_path_token_is_checked() -> None:
    with pytest.raises(NotAuthentic):
        push({"statusCode": "004"}, "https://example.com/clickatell/guess")


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("clickatell", "POST", URL, {"content-type": "application/json"}, body, SETTINGS)
