"""Twilio webhooks: the SDK's signature vectors (provider-specs-2 §23.10), refusals, parsing, pull."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, MemoryStore, NotAuthentic, SmsError
from smsgate.emulators.receipts import twilio_inbound, twilio_post, twilio_status
from smsgate.receipts import parse_push
from smsgate.receipts.twilio import twilio_signature

TOKEN = "12345"
FORM = "application/x-www-form-urlencoded"


def test_the_sdk_voice_vector() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature(TOKEN, url, list(params.items())) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    headers = {"Content-Type": FORM, "X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="}
    push = parse_push("twilio", "POST", url, headers, urlencode(params), {"auth_token": TOKEN})
    assert push.reports == [] and push.pending == 1  # a voice webhook settles no SMS


STATUS = {
    "MessageSid": "SM29f4f980778e4621b72df75ac82f5000",
    "MessageStatus": "delivered",
    "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "From": "+15017122661",
    "To": "+15558675310",
    "ApiVersion": "2010-04-01",
    "SmsSid": "SM29f4f980778e4621b72df75ac82f5000",
    "SmsStatus": "delivered",
}


def test_the_status_callback_vector_parses_to_a_delivered_report() -> None:
    url = "https://example.com/sms/status"
    headers = {"content-type": FORM, "x-twilio-signature": "13q9EuHMinERZpeam2rUSTlzd9Y="}
    push = parse_push("twilio", "POST", url, headers, urlencode(STATUS), {"auth_token": TOKEN}, clock=lambda: 5.0)
    (report,) = push.reports
    assert report.status is DeliveryStatus.DELIVERED and report.provider_status == "delivered"
    assert report.provider_message_id == STATUS["MessageSid"] and report.phone == "+15558675310"
    assert report.received_at == 5.0 and report.error_code is None
    assert push.reply.status == 200 and push.reply.content_type == "text/xml"


def test_the_port_variant_is_accepted_as_twilios_validator_does() -> None:
    headers = {"content-type": FORM, "x-twilio-signature": "13q9EuHMinERZpeam2rUSTlzd9Y="}
    push = parse_push(
        "twilio", "POST", "https://example.com:443/sms/status", headers, urlencode(STATUS), {"auth_token": TOKEN}
    )
    assert len(push.reports) == 1


def test_the_json_body_vector() -> None:
    body = b'{"property": "value", "boolean": true}'
    digest = hashlib.sha256(body).hexdigest()
    assert digest == "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
    url = f"https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256={digest}"
    headers = {"content-type": "application/json", "x-twilio-signature": "a9nBmqA0ju/hNViExpshrM61xv4="}
    push = parse_push("twilio", "POST", url, headers, body, {"auth_token": TOKEN})
    assert push.reports == [] and push.inbound == []
    with pytest.raises(NotAuthentic) as info:
        parse_push("twilio", "POST", url, headers, body.replace(b"value", b"other"), {"auth_token": TOKEN})
    assert info.value.reason == "body" and info.value.code == 46020


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda h, b: (h, b.replace(b"delivered", b"failed", 1)), "signature"),  # tampered body
        (lambda h, b: ({**h, "x-twilio-signature": "AAAA" + h["x-twilio-signature"][4:]}, b), "signature"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "x-twilio-signature"}, b), "signature"),
    ],
)
def test_tampering_is_refused(change, reason) -> None:  # type: ignore[no-untyped-def]
    headers = {"content-type": FORM, "x-twilio-signature": "13q9EuHMinERZpeam2rUSTlzd9Y="}
    headers, body = change(headers, urlencode(STATUS).encode())
    with pytest.raises(NotAuthentic) as info:
        parse_push("twilio", "POST", "https://example.com/sms/status", headers, body, {"auth_token": TOKEN})
    assert info.value.reason == reason
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)


def test_a_replay_is_refused() -> None:
    url = "https://example.com/sms/status"
    out = twilio_post(url, TOKEN, twilio_status("AC1", "SM1", "+15558675310"))
    seen = MemoryStore()
    parse_push("twilio", out.method, url, out.headers, out.body, {"auth_token": TOKEN}, seen=seen)
    with pytest.raises(NotAuthentic) as info:
        parse_push("twilio", out.method, url, out.headers, out.body, {"auth_token": TOKEN}, seen=seen)
    assert info.value.reason == "replay"


def test_inbound_and_failed_statuses() -> None:
    url = "https://example.com/sms/in"
    out = twilio_post(url, TOKEN, twilio_inbound("AC1", "+15558675310", "STOP"))
    (message,) = parse_push("twilio", "POST", url, out.headers, out.body, {"auth_token": TOKEN}).inbound
    assert message.sender == "+15558675310" and message.text == "STOP" and message.to == "+15005550006"
    out = twilio_post(url, TOKEN, twilio_status("AC1", "SM2", "+15558675310", "undelivered"))
    (report,) = parse_push("twilio", "POST", url, out.headers, out.body, {"auth_token": TOKEN}).reports
    assert report.status is DeliveryStatus.FAILED and report.error_code == "30003"
    out = twilio_post(url, TOKEN, twilio_status("AC1", "SM3", "+15558675310", "sent"))
    assert parse_push("twilio", "POST", url, out.headers, out.body, {"auth_token": TOKEN}).pending == 1


@given(st.binary(max_size=300), st.sampled_from([FORM, "application/json", ""]))
def test_any_body_gives_a_report_or_a_typed_error(body: bytes, kind: str) -> None:
    url = "https://example.com/sms/status"
    signature = twilio_signature(TOKEN, url)
    for signed in (signature, twilio_signature(TOKEN, url + "?bodySHA256=" + hashlib.sha256(body).hexdigest())):
        try:
            parse_push(
                "twilio", "POST", url, {"content-type": kind, "x-twilio-signature": signed}, body, {"auth_token": TOKEN}
            )
        except SmsError as exc:
            assert isinstance(exc, (NotAuthentic, InvalidRequest))


@given(
    st.dictionaries(
        st.sampled_from(["MessageSid", "MessageStatus", "To", "Body", "From", "ErrorCode", "SmsStatus"]),
        st.text(max_size=20),
        max_size=7,
    )
)
def test_any_signed_form_parses_or_is_typed(form: dict[str, str]) -> None:
    url = "https://example.com/sms/status"
    out = twilio_post(url, TOKEN, form)
    try:
        push = parse_push("twilio", "POST", url, out.headers, out.body, {"auth_token": TOKEN})
    except InvalidRequest:
        return
    assert len(push.reports) + len(push.inbound) + push.pending == 1
