"""Vonage signed webhooks: the SDK vector (provider-specs-2 §23.11), refusals, parsing."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, MemoryStore, NotAuthentic
from smsgate.emulators.receipts import vonage_dlr, vonage_signed
from smsgate.receipts import parse_push
from smsgate.receipts.vonage import vonage_signature

VECTOR = {
    "api_key": "abcd1234",
    "from": "AcmeInc",
    "to": "447700900000",
    "text": "Hello & welcome=1",
    "timestamp": "1700000000",
}
SECRET = "signature-secret"
SETTINGS = {"signature_secret": SECRET, "signature_method": "sha256"}
URL = "https://example.com/webhooks/dlr"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("sha256", "86ac834a2588bd33c5efd337f57db8b96ceb0087d8b105f6f935f26de816b534"),
        ("md5", "731090e4852559456c28bc41a880019a"),
        ("md5hash", "f6ff7b84e6c3d73f2eadb835b80dcdbd"),
    ],
)
def test_the_sdk_vectors(method: str, expected: str) -> None:
    assert vonage_signature("secret", VECTOR, method) == expected  # type: ignore[arg-type]


def test_the_sdk_vector_as_a_signed_inbound_webhook() -> None:
    params = {**VECTOR, "sig": "86AC834A2588BD33C5EFD337F57DB8B96CEB0087D8B105F6F935F26DE816B534"}  # any case
    url = URL + "?" + urlencode(params)
    settings = {"signature_secret": "secret", "signature_method": "sha256"}
    (message,) = parse_push("vonage", "GET", url, {}, b"", settings, clock=lambda: 1700000010).inbound
    assert message.to == "447700900000" and message.text == "Hello & welcome=1"


def _post(params: dict[str, str]) -> tuple[dict[str, str], bytes]:
    return {"content-type": "application/x-www-form-urlencoded"}, urlencode(params).encode()


def test_a_signed_receipt_parses() -> None:
    headers, body = _post(vonage_signed(vonage_dlr("key", "0A0000000123ABCD", "447700900000"), SECRET))
    push = parse_push("vonage", "POST", URL, headers, body, SETTINGS)
    (report,) = push.reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+447700900000"
    assert report.provider_message_id == "0A0000000123ABCD" and report.price == "0.03330000"
    assert push.reply.status == 204 and "sig" not in report.raw


@pytest.mark.parametrize("status", ["expired", "failed", "rejected"])
def test_final_failures(status: str) -> None:
    headers, body = _post(vonage_signed(vonage_dlr("key", "ID", "447700900000", status), SECRET))
    (report,) = parse_push("vonage", "POST", URL, headers, body, SETTINGS).reports
    assert report.status.value == status and report.error_code == "6"


def test_json_bodies_are_read_too() -> None:
    import json

    params = vonage_signed(vonage_dlr("key", "ID", "447700900000"), SECRET)
    push = parse_push("vonage", "POST", URL, {"content-type": "application/json"}, json.dumps(params), SETTINGS)
    assert push.reports[0].status is DeliveryStatus.DELIVERED


def test_refusals() -> None:
    params = vonage_signed(vonage_dlr("key", "ID", "447700900000"), SECRET)
    tampered = {**params, "status": "failed"}
    stale = vonage_signed(vonage_dlr("key", "ID", "447700900000"), SECRET, when=time.time() - 3600)
    wrong = {**params, "sig": vonage_signature("another-secret", params)}
    unsigned = {k: v for k, v in params.items() if k != "sig"}
    for bad, reason in [(tampered, "signature"), (stale, "stale"), (wrong, "signature"), (unsigned, "signature")]:
        with pytest.raises(NotAuthentic) as info:
            parse_push("vonage", "POST", URL, *_post(bad), SETTINGS)
        assert info.value.reason == reason and SECRET not in str(info.value)
    seen = MemoryStore()
    parse_push("vonage", "POST", URL, *_post(params), SETTINGS, seen=seen)
    with pytest.raises(NotAuthentic, match="replay"):
        parse_push("vonage", "POST", URL, *_post(params), SETTINGS, seen=seen)


def test_unsigned_accounts_need_a_path_token() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        parse_push("vonage", "GET", URL, {}, b"", {})
    params = vonage_dlr("key", "ID", "447700900000")
    ok = parse_push("vonage", "GET", URL + "/t0ken?" + urlencode(params), {}, b"", {"path_token": "t0ken"})
    assert len(ok.reports) == 1
    with pytest.raises(NotAuthentic, match="path token"):
        parse_push("vonage", "GET", URL + "/guess?" + urlencode(params), {}, b"", {"path_token": "t0ken"})


@given(
    st.dictionaries(
        st.sampled_from(
            ["msisdn", "status", "messageId", "text", "err-code", "scts", "price", "message-timestamp", "to"]
        ),
        st.text(max_size=12),
        max_size=9,
    )
)
def test_any_signed_fields_parse_or_are_typed(fields: dict[str, str]) -> None:
    try:
        push = parse_push("vonage", "POST", URL, *_post(vonage_signed(fields, SECRET)), SETTINGS)
    except InvalidRequest:
        return
    assert len(push.reports) + len(push.inbound) + push.pending == 1


@given(st.binary(max_size=200), st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
def test_any_body_is_refused_typed(body: bytes, kind: str) -> None:
    with pytest.raises((NotAuthentic, InvalidRequest)):
        parse_push("vonage", "POST", URL, {"content-type": kind}, body, SETTINGS)
