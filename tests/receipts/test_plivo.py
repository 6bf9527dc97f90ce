"""Plivo receipts: the SDK's V3 vector, refusals, parsing, and a round trip through the emulator."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.emulators.plivo import sign_v3
from smsgate.receipts import parse_push
from smsgate.receipts.plivo import plivo_signature
from smsgate.stores.memory import MemoryStore

TOKEN = "MAXXXXXXXXXXXXXXXXXX_token"
NONCE = "05429567804466091622"
URL = "https://example.com/sms/status?x=1"
FIELDS = {
    "From": "14155550100",
    "To": "14155550199",
    "MessageUUID": "2a340a8e-0000-11ee-0000-000000000001",
    "Status": "delivered",
    "ErrorCode": "000",
}
POST_SIGNATURE = "Rg22sckZd5eqYxavISDH4Tzk7xVwdyE+lYKK22TIfbQ="  # provider-specs-2 §23.12
GET_SIGNATURE = "unVoyXVDnaXxM+eiGL9bP+cbfw5CYwk+bs9cZofzS9k="


def headers(signature: str, nonce: str = NONCE) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Plivo-Signature-V3": signature,
        "X-Plivo-Signature-V3-Nonce": nonce,
    }


def test_the_sdk_vectors() -> None:
    assert plivo_signature(TOKEN, "POST", URL, FIELDS, NONCE) == POST_SIGNATURE
    assert plivo_signature(TOKEN, "GET", URL, FIELDS, NONCE) == GET_SIGNATURE
    assert sign_v3(TOKEN, URL, FIELDS, NONCE) == POST_SIGNATURE  # the emulator's own signer agrees


def test_a_signed_delivery_report_parses() -> None:
    push = parse_push("plivo", "POST", URL, headers(POST_SIGNATURE), urlencode(FIELDS), {"auth_token": TOKEN})
    (report,) = push.reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+14155550199"
    assert report.provider_message_id == FIELDS["MessageUUID"] and report.error_code is None


def test_a_signed_get_parses() -> None:
    url = URL + "&" + urlencode(FIELDS)
    push = parse_push("plivo", "GET", url, headers(GET_SIGNATURE), b"", {"auth_token": TOKEN})
    assert [r.status for r in push.reports] == [DeliveryStatus.DELIVERED]


def test_one_of_several_signatures_is_enough() -> None:
    both = "bm90LWl0," + POST_SIGNATURE
    push = parse_push("plivo", "POST", URL, headers(both), urlencode(FIELDS), {"auth_token": TOKEN})
    assert len(push.reports) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": {**FIELDS, "Status": "failed"}}, "signature"),
        ({"signature": "AAAA" + POST_SIGNATURE[4:]}, "signature"),
        ({"nonce": "1"}, "signature"),
        ({"token": "other-token"}, "signature"),
        ({"signature": ""}, "signature"),
    ],
)
def test_tampering_is_refused(change: dict[str, object], reason: str) -> None:
    body = change.get("body", FIELDS)
    sent = headers(str(change.get("signature", POST_SIGNATURE)), str(change.get("nonce", NONCE)))
    settings = {"auth_token": change.get("token", TOKEN)}
    with pytest.raises(NotAuthentic) as info:
        parse_push("plivo", "POST", URL, sent, urlencode(body), settings)  # type: ignore[arg-type]
    assert info.value.reason == reason and TOKEN not in str(info.value)


def test_a_replay_is_refused() -> None:
    seen = MemoryStore()
    body = urlencode(FIELDS)
    parse_push("plivo", "POST", URL, headers(POST_SIGNATURE), body, {"auth_token": TOKEN}, seen=seen)
    with pytest.raises(NotAuthentic) as info:
        parse_push("plivo", "POST", URL, headers(POST_SIGNATURE), body, {"auth_token": TOKEN}, seen=seen)
    assert info.value.reason == "replay"


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("undelivered", "50", DeliveryStatus.FAILED),
        ("failed", "300", DeliveryStatus.FAILED),
        ("rejected", "100", DeliveryStatus.REJECTED),
        ("undelivered", "420", DeliveryStatus.EXPIRED),
    ],
)
def test_failures_are_normalised(status: str, code: str, expected: DeliveryStatus) -> None:
    fields = {**FIELDS, "Status": status, "ErrorCode": code}
    signature = plivo_signature(TOKEN, "POST", URL, fields, NONCE)
    (report,) = parse_push("plivo", "POST", URL, headers(signature), urlencode(fields), {"auth_token": TOKEN}).reports
    assert report.status is expected and report.error_code == code and report.provider_status == status


def test_intermediate_statuses_settle_nothing_and_inbound_parses() -> None:
    queued = {**FIELDS, "Status": "sent"}
    push = parse_push(
        "plivo", "POST", URL, headers(plivo_signature(TOKEN, "POST", URL, queued, NONCE)), urlencode(queued),
        {"auth_token": TOKEN},
    )  # fmt: skip
    assert push.reports == [] and push.pending == 1
    inbound = {"From": "14155550199", "To": "14155550100", "Text": "STOP", "Type": "sms", "MessageUUID": "m-1"}
    signature = plivo_signature(TOKEN, "POST", URL, inbound, NONCE)
    (message,) = parse_push("plivo", "POST", URL, headers(signature), urlencode(inbound), {"auth_token": TOKEN}).inbound
    assert (message.sender, message.text, message.provider_message_id) == ("+14155550199", "STOP", "m-1")


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20), max_size=6), st.binary(max_size=60))
def test_any_signed_body_parses_or_is_a_typed_error(fields: dict[str, str], noise: bytes) -> None:
    body = urlencode(fields).encode() + noise
    for signature in (plivo_signature(TOKEN, "POST", URL, fields, NONCE), "x"):
        with contextlib.suppress(NotAuthentic, InvalidRequest):
            parse_push("plivo", "POST", URL, headers(signature), body, {"auth_token": TOKEN})
