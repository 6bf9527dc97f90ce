"""NetEase receipts: the copy (抄送) vector, refusals and parsing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push
from smsgate.receipts.netease import netease_copy_checksum

BODY = b'{"eventType":"11","mobile":"13800000000","sendid":"123456","result":"DELIVRD"}'
SETTINGS = {"app_key": "k", "app_secret": "testAppSecret"}
URL = "https://example.com/yunxin"
NOW = 1700000030.0


def headers(md5: str = "d809aaec47501655f54075672d8853c0", checksum: str = "74e263995abc09757d7145a70c5821e637eebf6e",
            stamp: str = "1700000000") -> dict[str, str]:  # fmt: skip
    return {"content-type": "application/json", "appkey": "k", "curtime": stamp, "md5": md5, "checksum": checksum}


def push(body: bytes = BODY, sent: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return parse_push("netease", "POST", URL, sent or headers(), body, SETTINGS, clock=lambda: NOW)


def test_the_vector_verifies_and_parses() -> None:
    assert netease_copy_checksum("testAppSecret", BODY, "1700000000") == (
        "d809aaec47501655f54075672d8853c0",
        "74e263995abc09757d7145a70c5821e637eebf6e",
    )
    (report,) = push().reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+8613800000000"
    assert report.provider_message_id == "123456"


@pytest.mark.parametrize(
    ("body", "sent", "reason"),
    [(BODY.replace(b"DELIVRD", b"UNDELIV"), None, "signature"),
     (BODY, headers(checksum="0" * 40), "signature"),
     (BODY, {**headers(), "appkey": "other"}, "signature")],
)  # fmt: skip
def test_tampering_is_refused(body: bytes, sent: dict[str, str] | None, reason: str) -> None:
    with pytest.raises(NotAuthentic) as info:
        push(body, sent)
    assert info.value.reason == reason


def test_a_stale_copy_is_refused() -> None:
    md5, checksum = netease_copy_checksum("testAppSecret", BODY, "1699990000")
    with pytest.raises(NotAuthentic) as info:
        push(BODY, headers(md5, checksum, "1699990000"))
    assert info.value.reason == "stale"


def test_a_failure_and_other_copies() -> None:
    failed = BODY.replace(b"DELIVRD", b"UNDELIV")
    (report,) = push(failed, headers(*netease_copy_checksum("testAppSecret", failed, "1700000000"))).reports
    assert report.status is DeliveryStatus.FAILED and report.error_code == "UNDELIV"
    other = b'{"eventType":"1","convType":"PERSON"}'
    assert push(other, headers(*netease_copy_checksum("testAppSecret", other, "1700000000"))).pending == 1


@given(st.binary(max_size=200))
def test_any_signed_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        push(body, headers(*netease_copy_checksum("testAppSecret", body, "1700000000")))
