"""Huawei pushes: the AK/SK vector (provider-specs §7.4), refusals, form and batch bodies."""

from __future__ import annotations

import contextlib
import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, MemoryStore, NotAuthentic
from smsgate.emulators.receipts import huawei_report, huawei_signed
from smsgate.receipts import parse_push

KEY, SECRET = "c8RWg3ggEcyd4D3p94bf3Y7x1Ile", "q4Ii87BhST9vcs8wvrzN80SfD7Al"
AKSK = {"aksk": True, "app_key": KEY, "app_secret": SECRET}
URL = "http://127.0.0.1:8080/receipts/huawei"
FORM = "application/x-www-form-urlencoded"


def test_the_sdk_vector_verifies() -> None:
    headers = {
        "Content-Type": FORM,
        "Host": "smsapi.cn-north-4.myhuaweicloud.com",
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
        "X-Sdk-Date": "20240101T000000Z",
        "Authorization": "SDK-HMAC-SHA256 Access=c8RWg3ggEcyd4D3p94bf3Y7x1Ile, "
        "SignedHeaders=content-type;host;x-sdk-content-sha256;x-sdk-date, "
        "Signature=f0cbf79eaf3ed10b3815066f1e4b580f63a17d9e40aa8bec3e10eef7ddf45023",
    }
    url = "https://smsapi.cn-north-4.myhuaweicloud.com/sms/batchSendSms/v1"
    body = urlencode(huawei_report("id-1", "+8613800138000"))
    settings = {**AKSK, "allow_unsigned_payload": True}
    push = parse_push("huawei", "POST", url, headers, body, settings, clock=lambda: 1704067200.0)
    assert push.reports[0].status is DeliveryStatus.DELIVERED
    with pytest.raises(NotAuthentic, match="UNSIGNED"):  # by default the body must be signed
        parse_push("huawei", "POST", url, headers, body, AKSK, clock=lambda: 1704067200.0)


def _signed(form: dict[str, str], **kwargs: object) -> tuple[dict[str, str], bytes]:
    body = urlencode(form).encode()
    return huawei_signed(URL, body, KEY, SECRET, **kwargs), body  # type: ignore[arg-type]


def test_a_signed_report_parses() -> None:
    headers, body = _signed(huawei_report("id-1", "+8613800138000"))
    push = parse_push("huawei", "POST", URL, headers, body, AKSK)
    (report,) = push.reports
    assert (report.provider_message_id, report.phone, report.status) == (
        "id-1",
        "+8613800138000",
        DeliveryStatus.DELIVERED,
    )
    assert report.segments == 1 and report.done_at is not None and push.reply.status == 200


def test_refusals() -> None:
    headers, body = _signed(huawei_report("id-1", "+8613800138000"))
    with pytest.raises(NotAuthentic, match="body"):
        parse_push("huawei", "POST", URL, headers, body.replace(b"DELIVRD", b"UNDELIV", 1), AKSK)
    wrong = huawei_signed(URL, body, KEY, "another-secret")
    with pytest.raises(NotAuthentic, match="signature"):
        parse_push("huawei", "POST", URL, wrong, body, AKSK)
    stale, _ = _signed(huawei_report("id-1", "+8613800138000"), when=time.time() - 3600)
    with pytest.raises(NotAuthentic) as info:
        parse_push("huawei", "POST", URL, stale, body, AKSK)
    assert info.value.reason == "stale"
    seen = MemoryStore()
    parse_push("huawei", "POST", URL, headers, body, AKSK, seen=seen)
    with pytest.raises(NotAuthentic, match="replay"):
        parse_push("huawei", "POST", URL, headers, body, AKSK, seen=seen)


def test_without_aksk_a_path_token_is_required() -> None:
    with pytest.raises(ConfigError):
        parse_push("huawei", "POST", URL, {}, b"", {})
    body = urlencode(huawei_report("id-2", "+8613800138000", "EXPIRED"))
    push = parse_push("huawei", "POST", URL + "/s3cret", {"content-type": FORM}, body, {"path_token": "s3cret"})
    assert push.reports[0].status is DeliveryStatus.EXPIRED and push.reports[0].error_code == "UNDELIV"


def test_the_batch_shape_and_inbound() -> None:
    rows = [
        huawei_report("a", "+8613800138000"),
        huawei_report("b", "+8613900139000", "REJECTD"),
        {**huawei_report("c", "+8613900139000"), "status": "ACCEPTD"},
    ]
    body = json.dumps({"statusReportList": rows})
    push = parse_push("huawei", "POST", URL + "/t", {"content-type": "application/json"}, body, {"path_token": "t"})
    assert [r.status for r in push.reports] == [DeliveryStatus.DELIVERED, DeliveryStatus.REJECTED]
    assert push.pending == 1
    form = {
        "from": "+8613800138000",
        "to": "10690000",
        "body": "退订",
        "smsMsgId": "m",
        "createTime": "2024-01-01T00:00:00Z",
    }
    (message,) = parse_push(
        "huawei", "POST", URL + "/t", {"content-type": FORM}, urlencode(form), {"path_token": "t"}
    ).inbound
    assert message.sender == "+8613800138000" and message.text == "退订" and message.received_at == 1704067200.0


@given(st.binary(max_size=300), st.sampled_from([FORM, "application/json"]))
def test_any_body_parses_or_is_typed(body: bytes, kind: str) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("huawei", "POST", URL + "/t", {"content-type": kind}, body, {"path_token": "t"})
