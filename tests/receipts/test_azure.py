"""Azure receipts: Event Grid validation, delivery reports and incoming messages behind a path token."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/azure/s3cret"
SETTINGS = {"path_token": "s3cret"}


def push(events: object, url: str = URL):  # type: ignore[no-untyped-def]
    return parse_push("azure", "POST", url, {"content-type": "application/json"}, json.dumps(events), SETTINGS)


def event(kind: str, **data: object) -> dict[str, object]:
    return {"id": "e", "eventType": f"Microsoft.Communication.{kind}", "eventTime": "2024-01-01T00:00:05Z",
            "data": data, "dataVersion": "1.0"}  # fmt: skip


def test_the_subscription_handshake_is_answered() -> None:
    got = push([{"id": "v", "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
                 "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}}])  # fmt: skip
    assert got.reply.status == 200
    assert json.loads(got.reply.body) == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}


def test_reports_and_inbound_parse() -> None:
    got = push([
        event("SMSDeliveryReportReceived", messageId="Outgoing_1", to="+14255550123", deliveryStatus="Delivered",
              receivedTimestamp="2024-01-01T00:00:05Z"),
        event("SMSDeliveryReportReceived", messageId="Outgoing_2", to="+14255550124", deliveryStatus="Failed",
              deliveryStatusDetails="Unreachable"),
        event("SMSReceived", messageId="Incoming_1", **{"from": "+14255550123"}, to="+18005550100", message="STOP"),
    ])  # fmt: skip
    assert [(r.status, r.phone, r.error_code) for r in got.reports] == [
        (DeliveryStatus.DELIVERED, "+14255550123", None),
        (DeliveryStatus.FAILED, "+14255550124", "Unreachable"),
    ]
    assert got.reports[0].done_at == 1704067205.0
    assert [(m.sender, m.text) for m in got.inbound] == [("+14255550123", "STOP")]


def test_the_path_token_is_checked() -> None:
    with pytest.raises(NotAuthentic):
        push([event("SMSReceived")], "https://example.com/azure/guess")


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("azure", "POST", URL, {"content-type": "application/json"}, body, SETTINGS)
