"""Sinch receipts: the SDK's signature vector, refusals, parsing of reports and inbound messages."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.emulators.sinch import sign
from smsgate.receipts import parse_push
from smsgate.receipts.sinch import sinch_signature
from smsgate.stores.memory import MemoryStore

SECRET = "testSecret"
NONCE = "01FJA8B4A7BM43YGWSG9GBV067"
STAMP = "1700000000"
BODY = (
    b'{"type":"recipient_delivery_report_sms","batch_id":"01FC66621XXXXX119Z8PMV1QPQ","recipient":"+15551234567",'
    b'"code":0,"status":"Delivered","at":"2024-01-01T00:00:05.000Z"}'
)
VECTOR = "vuoImNRGbas9Un0ZC5C5IWYf20UPOHAjj0qSigNwZto="  # provider-specs-2 §23.13
URL = "https://example.com/sinch/dlr"
SETTINGS = {"signing_secret": SECRET}
NOW = 1700000030.0


def headers(signature: str = VECTOR, nonce: str = NONCE, stamp: str = STAMP) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-sinch-webhook-signature": signature,
        "x-sinch-webhook-signature-nonce": nonce,
        "x-sinch-webhook-signature-timestamp": stamp,
    }


def push(body: bytes = BODY, sent: dict[str, str] | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return parse_push("sinch", "POST", URL, sent or headers(), body, SETTINGS, clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def test_the_sdk_vector() -> None:
    assert sinch_signature(SECRET, BODY, NONCE, STAMP) == VECTOR
    assert sign(SECRET, BODY, NONCE, STAMP) == VECTOR  # the emulator's own signer agrees


def test_a_signed_report_parses() -> None:
    (report,) = push().reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+15551234567"
    assert report.provider_message_id == "01FC66621XXXXX119Z8PMV1QPQ" and report.error_code is None
    assert report.done_at == 1704067205.0


@pytest.mark.parametrize(
    ("body", "sent", "reason"),
    [
        (BODY.replace(b"Delivered", b"Failed"), None, "signature"),
        (BODY, headers(signature="x" + VECTOR[1:]), "signature"),
        (BODY, headers(nonce="other"), "signature"),
        (BODY, headers(signature=""), "signature"),
    ],
)
def test_tampering_is_refused(body: bytes, sent: dict[str, str] | None, reason: str) -> None:
    with pytest.raises(NotAuthentic) as info:
        push(body, sent)
    assert info.value.reason == reason


def test_a_stale_timestamp_and_a_replay_are_refused() -> None:
    stale = str(int(NOW) - 3600)
    with pytest.raises(NotAuthentic) as info:
        push(BODY, headers(sinch_signature(SECRET, BODY, NONCE, stale), stamp=stale))
    assert info.value.reason == "stale"
    seen = MemoryStore()
    push(seen=seen)
    with pytest.raises(NotAuthentic) as info:
        push(seen=seen)
    assert info.value.reason == "replay"


def test_without_a_secret_a_path_token_is_required() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        parse_push("sinch", "POST", URL, {}, BODY, {})
    ok = parse_push("sinch", "POST", URL + "/tok", {"content-type": "application/json"}, BODY, {"path_token": "tok"})
    assert len(ok.reports) == 1
    with pytest.raises(NotAuthentic):
        parse_push("sinch", "POST", URL + "/bad", {"content-type": "application/json"}, BODY, {"path_token": "tok"})


@pytest.mark.parametrize(
    ("status", "expected"),
    [("Failed", DeliveryStatus.FAILED), ("Expired", DeliveryStatus.EXPIRED), ("Rejected", DeliveryStatus.REJECTED)],
)
def test_failures_are_normalised(status: str, expected: DeliveryStatus) -> None:
    body = BODY.replace(b'"code":0', b'"code":406').replace(b"Delivered", status.encode())
    (report,) = push(body, headers(sinch_signature(SECRET, body, NONCE, STAMP))).reports
    assert report.status is expected and report.error_code == "406"


def test_summaries_queued_reports_and_inbound() -> None:
    summary = {
        "type": "delivery_report_sms", "batch_id": "B1", "total_message_count": 2,
        "statuses": [{"code": 0, "status": "Delivered", "count": 1, "recipients": ["+15551230001"]},
                     {"code": 402, "status": "Failed", "count": 1, "recipients": ["+15551230002"]}],
    }  # fmt: skip
    queued = {"type": "recipient_delivery_report_sms", "batch_id": "B1", "recipient": "+15551230001",
              "code": 400, "status": "Queued", "at": "2024-01-01T00:00:00Z"}  # fmt: skip
    inbound = {"type": "mo_text", "id": "m1", "from": "+15551230001", "to": "12345", "body": "STOP",
               "received_at": "2024-01-01T00:00:00Z"}  # fmt: skip
    for data, reports, messages, pending in ((summary, 2, 0, 0), (queued, 0, 0, 1), (inbound, 0, 1, 0)):
        body = json.dumps(data).encode()
        got = push(body, headers(sinch_signature(SECRET, body, NONCE, STAMP)))
        assert (len(got.reports), len(got.inbound), got.pending) == (reports, messages, pending)
    assert got.inbound[0].sender == "+15551230001" and got.inbound[0].text == "STOP"


@given(st.binary(max_size=200))
def test_any_signed_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        push(body, headers(sinch_signature(SECRET, body, NONCE, STAMP)))
