"""MessageBird receipts: the JWT vector, refusals, parsing of reports and inbound messages."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.emulators.messagebird import jwt_for
from smsgate.receipts import Received, parse_push, receipt_parser
from smsgate.stores.memory import MemoryStore

KEY = "PlLrKaqvZNRR5zAjm42ZT6q1SQxgbbGd"  # provider-specs-2 §23.14
VECTOR_URL = "https://example.com/webhook?example=42"
VECTOR_BODY = b'{"id":"msg-1","status":"delivered"}'
VECTOR = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJNZXNzYWdlQmlyZCIsIm5iZiI6MTcwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwLCJqdGki"
    "OiJlNmI2YjFmMiIsInVybF9oYXNoIjoiNTk0YzdjZDJmNWEwYWJkMDkyZDM4OGZlMDI2MjgxN2MwNzVkNTk1OGJmMTRlZjI2NmIzYTQ5MjdiM2UwYjhi"
    "ZSIsInBheWxvYWRfaGFzaCI6IjQ1NTdmZjU1OGRmMGM0YzYwNzM0MTIyODc3OWFiY2M4OWIyYmEzNmY0ZDlkNmMxMzk0MzBkYzM4MTkyMzEyNTQifQ"
    ".BmLw24tUn8ZLubK2BmNQcjDH5DhRjD1YBlfkrMBfwJ4"
)
NOW = 1700000100.0
OTHER_KEY = "another-signing-key-of-32-bytes-or-more"
REPORT = {"id": "e8077d803532c0b5937c639b60216938", "reference": "ref-1", "recipient": "31612345678",
          "status": "delivered", "statusDatetime": "2024-01-01T00:00:05+00:00"}  # fmt: skip


def call(url: str, body: bytes = b"", token: str | None = None, method: str = "GET", **kw: object):  # type: ignore[no-untyped-def]
    headers = {"messagebird-signature-jwt": token if token is not None else jwt_for(KEY, url, body, NOW)}
    if body:
        headers["content-type"] = "application/json"
    return parse_push("messagebird", method, url, headers, body, {"signing_key": KEY}, clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def test_the_vector_verifies() -> None:
    parser = receipt_parser("messagebird", {"signing_key": KEY})
    received = Received.of("POST", VECTOR_URL, {"messagebird-signature-jwt": VECTOR}, VECTOR_BODY)
    assert parser.verify(received, NOW) == "e6b6b1f2"  # the jti keys replays
    with pytest.raises(InvalidRequest):  # authentic, but a report must name its recipient
        call(VECTOR_URL, VECTOR_BODY, VECTOR, "POST")


def test_a_signed_report_parses() -> None:
    (report,) = call("https://example.com/mb?" + urlencode(REPORT)).reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+31612345678"
    assert report.provider_message_id == REPORT["id"] and report.error_code is None


@pytest.mark.parametrize(
    ("url", "body", "token", "reason"),
    [
        (VECTOR_URL + "1", VECTOR_BODY, VECTOR, "signature"),  # another URL
        (VECTOR_URL, VECTOR_BODY + b" ", VECTOR, "body"),  # another body
        (VECTOR_URL, b"", VECTOR, "body"),  # the body left out
        (VECTOR_URL, VECTOR_BODY, VECTOR[:-2] + "xx", "signature"),
        (VECTOR_URL, VECTOR_BODY, jwt_for(OTHER_KEY, VECTOR_URL, VECTOR_BODY, NOW), "signature"),
        (VECTOR_URL, VECTOR_BODY, "", "signature"),
        (VECTOR_URL, VECTOR_BODY, jwt_for(KEY, VECTOR_URL, VECTOR_BODY, NOW - 3600), "stale"),
    ],
)
def test_tampering_is_refused(url: str, body: bytes, token: str, reason: str) -> None:
    with pytest.raises(NotAuthentic) as info:
        call(url, body, token, "POST")
    assert info.value.reason == reason


def test_a_replay_is_refused() -> None:
    url = "https://example.com/mb?" + urlencode(REPORT)
    token, seen = jwt_for(KEY, url, b"", NOW), MemoryStore()
    call(url, token=token, seen=seen)
    with pytest.raises(NotAuthentic) as info:
        call(url, token=token, seen=seen)
    assert info.value.reason == "replay"


def test_failures_and_inbound() -> None:
    failed = {**REPORT, "status": "delivery_failed", "statusErrorCode": "104"}
    (report,) = call("https://example.com/mb?" + urlencode(failed)).reports
    assert report.status is DeliveryStatus.FAILED and report.error_code == "104"
    inbound = {"id": "i1", "recipient": "3197001234", "originator": "31612345678", "body": "STOP"}
    (message,) = call("https://example.com/mo?" + urlencode(inbound)).inbound
    assert (message.sender, message.to, message.text) == ("+31612345678", "3197001234", "STOP")


@given(st.binary(max_size=200))
def test_any_signed_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        call("https://example.com/mb", body, method="POST")
