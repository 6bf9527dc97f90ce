"""Baidu receipts: the callback vector, refusals, reports and replies."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push
from smsgate.receipts.baidu import baidu_push_signature

BODY = (
    b'{"code":"0","requestId":"r1","messageId":"m1","mobile":"13800138000","carrierCode":"DELIVRD","attemptCount":1,'
    b'"segmentCount":1,"deliverTime":"2020-08-13T12:13:32Z","requestTime":"2020-08-13T12:13:30Z"}'
)
STAMP = "1597320812102"
SIGNATURE = "f57fa69bd742c205e4b612ad930a16a2"
SETTINGS = {"token": "baiduCloudId123"}
URL = "https://example.com/baidu"
NOW = 1597320812.0


def push(body: bytes = BODY, signature: str = SIGNATURE, stamp: str = STAMP, now: float = NOW):  # type: ignore[no-untyped-def]
    headers = {"content-type": "application/json;charset=utf-8", "timestamp": stamp, "signature": signature}
    return parse_push("baidu", "POST", URL, headers, body, SETTINGS, clock=lambda: now)


def test_the_vector_verifies_and_parses() -> None:
    assert baidu_push_signature("baiduCloudId123", STAMP, BODY) == SIGNATURE
    (report,) = push().reports
    assert (report.status, report.phone, report.provider_message_id) == (
        DeliveryStatus.DELIVERED, "+8613800138000", "m1"
    )  # fmt: skip
    assert report.segments == 1 and report.done_at == 1597320812.0 and report.error_code is None


def test_a_failure_and_a_reply_parse() -> None:
    body = json.dumps({"code": "2", "messageId": "m2", "mobile": "13800138001", "carrierCode": "B:00010"}).encode()
    (report,) = push(body, baidu_push_signature("baiduCloudId123", STAMP, body)).reports
    assert report.status is DeliveryStatus.FAILED and report.error_code == "B:00010"
    mo = json.dumps({"mobile": "13800138000", "content": "TD", "sign": "百度云", "receiveTime": "2019-12-03T22:53:05Z"})
    (inbound,) = push(mo.encode(), baidu_push_signature("baiduCloudId123", STAMP, mo.encode())).inbound
    assert (inbound.sender, inbound.text, inbound.to) == ("+8613800138000", "TD", "百度云")


@pytest.mark.parametrize(
    ("body", "signature", "now", "reason"),
    [(BODY.replace(b"DELIVRD", b"UNDELIV"), SIGNATURE, NOW, "signature"),
     (BODY, "0" * 32, NOW, "signature"),
     (BODY, SIGNATURE, NOW + 3600, "stale")],
)  # fmt: skip
def test_tampering_and_replays_are_refused(body: bytes, signature: str, now: float, reason: str) -> None:
    with pytest.raises(NotAuthentic) as info:
        push(body, signature, now=now)
    assert info.value.reason == reason


@given(st.binary(max_size=200))
def test_any_signed_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        push(body, baidu_push_signature("baiduCloudId123", STAMP, body))
