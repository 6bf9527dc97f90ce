"""Telnyx receipts: the Ed25519 vector, refusals, parsing of reports and inbound messages."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.emulators.telnyx import sign
from smsgate.receipts import parse_push
from smsgate.stores.memory import MemoryStore

PUBLIC_KEY = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="  # provider-specs-2 §23.15
STAMP = "1700000000"
BODY = (
    b'{"data":{"event_type":"message.finalized","id":"b301ed3f-1490-491f-995f-6e64e69674d4","payload":'
    b'{"id":"40385f64-5717-4562-b3fc-2c963f66afa6","to":[{"phone_number":"+18665550001","status":"delivered"}]}}}'
)
VECTOR = "SAx2lTQI2KSf9Ukz+ciYR2JUKaaBSQcwsupivS71fd7wb16kwAiDBep7/xkcXb9IrTipOY0/xiB+iQgXGSU+AA=="
URL = "https://example.com/telnyx"
NOW = 1700000010.0


def push(body: bytes = BODY, signature: str = VECTOR, stamp: str = STAMP, **kw: object):  # type: ignore[no-untyped-def]
    headers = {"content-type": "application/json", "telnyx-signature-ed25519": signature, "telnyx-timestamp": stamp}
    return parse_push("telnyx", "POST", URL, headers, body, {"public_key": PUBLIC_KEY}, clock=lambda: NOW, **kw)  # type: ignore[arg-type]


def test_the_sdk_vector_verifies_and_parses() -> None:
    assert sign(STAMP, BODY) == VECTOR  # the emulator signs as Telnyx does
    (report,) = push().reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+18665550001"
    assert report.provider_message_id == "40385f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.parametrize(
    ("body", "signature", "stamp", "reason"),
    [
        (BODY.replace(b"delivered", b"delivery_failed"), VECTOR, STAMP, "signature"),
        (BODY, "A" + VECTOR[1:], STAMP, "signature"),
        (BODY, VECTOR, "1700000001", "signature"),
        (BODY, "not base64!", STAMP, "signature"),
        (BODY, "", STAMP, "signature"),
    ],
)
def test_tampering_is_refused(body: bytes, signature: str, stamp: str, reason: str) -> None:
    with pytest.raises(NotAuthentic) as info:
        push(body, signature, stamp)
    assert info.value.reason == reason


def test_a_stale_timestamp_and_a_replay_are_refused() -> None:
    stale = str(int(NOW) - 3600)
    with pytest.raises(NotAuthentic) as info:
        push(BODY, sign(stale, BODY), stale)
    assert info.value.reason == "stale"
    seen = MemoryStore()
    push(seen=seen)
    with pytest.raises(NotAuthentic) as info:
        push(seen=seen)
    assert info.value.reason == "replay"


def test_a_key_that_is_not_a_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="public_key"):
        parse_push("telnyx", "POST", URL, {}, BODY, {"public_key": "c2hvcnQ="})


def test_failures_inbound_and_intermediate_events() -> None:
    failed = {"data": {"event_type": "message.finalized", "id": "e1", "payload": {
        "id": "m1", "to": [{"phone_number": "+18665550001", "status": "delivery_failed"}],
        "errors": [{"code": "40008", "title": "Undeliverable"}], "parts": 2}}}  # fmt: skip
    inbound = {"data": {"event_type": "message.received", "id": "e2", "payload": {
        "id": "m2", "from": {"phone_number": "+18665550001"}, "to": [{"phone_number": "+18665550002"}],
        "text": "STOP"}}}  # fmt: skip
    sent = {"data": {"event_type": "message.sent", "id": "e3", "payload": {"id": "m1", "to": []}}}
    results = []
    for event in (failed, inbound, sent):
        body = json.dumps(event).encode()
        results.append(push(body, sign(STAMP, body)))
    (report,) = results[0].reports
    assert report.status is DeliveryStatus.FAILED and report.error_code == "40008" and report.segments == 2
    (message,) = results[1].inbound
    assert (message.sender, message.to, message.text) == ("+18665550001", "+18665550002", "STOP")
    assert results[2].pending == 1 and not results[2].reports


@given(st.binary(max_size=200))
def test_any_signed_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        push(body, sign(STAMP, body))
