"""Chuanglan receipts: the account and password the callbacks carry, or a path token."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/253"
SETTINGS = {"account": "N1234567", "password": "pw"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
REPORT = {"receiver": "N1234567", "pswd": "pw", "msgid": "17041010383624511", "mobile": "13800138000",
          "status": "DELIVRD", "reportTime": "2401011200", "statusDesc": "ok"}  # fmt: skip


def test_a_report_parses_and_keeps_no_password() -> None:
    (report,) = parse_push("chuanglan", "POST", URL, FORM, urlencode(REPORT), SETTINGS).reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+8613800138000"
    assert report.provider_message_id == "17041010383624511" and "pswd" not in report.raw
    assert report.done_at == 1704081600.0  # Beijing time


def test_a_failure_and_a_get_callback() -> None:
    failed = {**REPORT, "status": "MK:0001"}
    (report,) = parse_push("chuanglan", "GET", URL + "?" + urlencode(failed), {}, b"", SETTINGS).reports
    assert report.status is DeliveryStatus.FAILED and report.error_code == "MK:0001"


@pytest.mark.parametrize("change", [{"pswd": "guess"}, {"receiver": "other"}, {"pswd": ""}])
def test_wrong_credentials_are_refused(change: dict[str, str]) -> None:
    with pytest.raises(NotAuthentic):
        parse_push("chuanglan", "POST", URL, FORM, urlencode({**REPORT, **change}), SETTINGS)


def test_without_credentials_a_path_token_is_required() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        parse_push("chuanglan", "POST", URL, FORM, urlencode(REPORT), {})


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest, NotAuthentic):
        parse_push("chuanglan", "POST", URL, FORM, body, SETTINGS)
