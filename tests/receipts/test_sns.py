"""AWS SNS envelopes: RSA signatures checked with the certificate fetched over HTTP, refusals, shapes."""

from __future__ import annotations

import contextlib
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, MemoryStore, NotAuthentic
from smsgate.emulators.receipts import SnsSigner, sns_delivery
from smsgate.receipts import parse_push
from smsgate.receipts.sns import SnsReceipts, string_to_sign
from tests.fakes.receipts import sns_signer

__all__ = ["sns_signer"]

URL = "https://example.com/receipts/sns"
JSON = {"content-type": "text/plain; charset=UTF-8"}
LOCAL = {"certificate_url": r"^http://127\.0\.0\.1:\d+/[^?#]*\.pem$"}


def test_string_to_sign_follows_the_documented_order() -> None:
    env = {"Type": "Notification", "MessageId": "m", "TopicArn": "t", "Message": "x", "Timestamp": "z", "Extra": "no"}
    assert string_to_sign(env) == "Message\nx\nMessageId\nm\nTimestamp\nz\nTopicArn\nt\nType\nNotification\n"
    conf = {**env, "Type": "SubscriptionConfirmation", "SubscribeURL": "u", "Token": "k"}
    assert "SubscribeURL\nu\n" in string_to_sign(conf) and "Token\nk\n" in string_to_sign(conf)


def test_a_signed_delivery_event_parses(sns_signer: SnsSigner) -> None:
    env = sns_signer.envelope(sns_delivery("pub-1", "+15555550100"))
    push = parse_push("sns", "POST", URL, JSON, json.dumps(env), LOCAL)
    (report,) = push.reports
    assert (report.provider_message_id, report.phone, report.status) == (
        "pub-1",
        "+15555550100",
        DeliveryStatus.DELIVERED,
    )
    assert report.price == "0.00645" and report.currency == "USD" and report.segments == 1


def test_inbound_and_failure(sns_signer: SnsSigner) -> None:
    inbound = {
        "originationNumber": "+15555550100",
        "destinationNumber": "+15555550199",
        "messageKeyword": "STOP",
        "messageBody": "STOP",
        "inboundMessageId": "in-1",
    }
    (message,) = parse_push("sns", "POST", URL, JSON, json.dumps(sns_signer.envelope(inbound)), LOCAL).inbound
    assert message.sender == "+15555550100" and message.text == "STOP"
    env = sns_signer.envelope(sns_delivery("pub-2", "+15555550100", "FAILURE"))
    (report,) = parse_push("sns", "POST", URL, JSON, json.dumps(env), LOCAL).reports
    assert report.status is DeliveryStatus.FAILED


def test_refusals(sns_signer: SnsSigner) -> None:
    env = sns_signer.envelope(sns_delivery("pub-1", "+15555550100"))
    tampered = {**env, "Message": env["Message"].replace("SUCCESS", "FAILURE")}
    other = SnsSigner()  # a key whose certificate is not at SigningCertURL
    forged = other.envelope(sns_delivery("pub-1", "+15555550100"), cert_url=env["SigningCertURL"])
    stale = sns_signer.envelope(sns_delivery("pub-1", "+15555550100"), when=time.time() - 3600)
    for bad, reason in [(tampered, "signature"), (forged, "signature"), (stale, "stale")]:
        with pytest.raises(NotAuthentic) as info:
            parse_push("sns", "POST", URL, JSON, json.dumps(bad), LOCAL)
        assert info.value.reason == reason
    with pytest.raises(NotAuthentic, match="certificate address"):  # the default: only AWS hosts
        parse_push("sns", "POST", URL, JSON, json.dumps(env), {})
    seen = MemoryStore()
    parse_push("sns", "POST", URL, JSON, json.dumps(env), LOCAL, seen=seen)
    with pytest.raises(NotAuthentic, match="replay"):
        parse_push("sns", "POST", URL, JSON, json.dumps(env), LOCAL, seen=seen)
    with pytest.raises(NotAuthentic, match="topic"):
        parse_push("sns", "POST", URL, JSON, json.dumps(env), {**LOCAL, "topic_arns": ["arn:other"]})


def test_an_unreachable_certificate_is_refused(sns_signer: SnsSigner) -> None:
    env = sns_signer.envelope(sns_delivery("pub-1", "+15555550100"))

    def fail(url: str) -> bytes:
        raise OSError("connection refused")

    with pytest.raises(NotAuthentic, match="could not be fetched"):
        parse_push("sns", "POST", URL, JSON, json.dumps(env), {**LOCAL, "fetch_certificate": fail})


def test_the_default_certificate_pattern() -> None:
    parser = SnsReceipts()
    import re

    assert re.match(
        parser.settings.certificate_url, "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem"
    )
    for url in (
        "http://sns.us-east-1.amazonaws.com/a.pem",
        "https://sns.us-east-1.amazonaws.com.evil.com/a.pem",
        "https://evil.com/sns.us-east-1.amazonaws.com/a.pem",
    ):
        assert not re.match(parser.settings.certificate_url, url)
    with pytest.raises(ConfigError):
        SnsReceipts({"replay_window": -1})


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=50)
@given(
    st.one_of(
        st.text(max_size=40),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
        st.lists(st.integers(), max_size=3),
    )
)
def test_any_signed_message_parses_or_is_typed(sns_signer: SnsSigner, message: object) -> None:
    env = sns_signer.envelope(message if isinstance(message, str) else json.dumps(message))
    with contextlib.suppress(InvalidRequest):
        parse_push("sns", "POST", URL, JSON, json.dumps(env), LOCAL)


@given(st.binary(max_size=200))
def test_any_body_is_typed(body: bytes) -> None:
    with pytest.raises((InvalidRequest, NotAuthentic)):
        parse_push("sns", "POST", URL, JSON, body, LOCAL)


def test_the_async_handler_fetches_certificates_off_the_event_loop(sns_signer: SnsSigner) -> None:
    import asyncio
    import threading

    from smsgate.receipts import Receipts

    loop_threads: list[threading.Thread] = []
    fetch_threads: list[threading.Thread] = []

    def fetch(url: str) -> bytes:
        fetch_threads.append(threading.current_thread())
        return sns_signer.pem

    receipts = Receipts({"sns": {**LOCAL, "fetch_certificate": fetch}})
    env = sns_signer.envelope(sns_delivery("pub-1", "+15555550100"))

    async def handle() -> int:
        loop_threads.append(threading.current_thread())
        return (await receipts.ahandle("sns", "POST", URL, JSON, json.dumps(env))).reply.status

    assert asyncio.run(handle()) == 200
    assert fetch_threads and fetch_threads[0] is not loop_threads[0]
