"""Bandwidth receipts: callback credentials or a path token, events parsed."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push

URL = "https://example.com/bandwidth"
SETTINGS = {"callback_username": "cb", "callback_password": "pw"}
MESSAGE = {"id": "1589228074636lm4k2je7j7jklbn2", "segmentCount": 2, "from": "+19195550100", "text": ""}
DELIVERED = {"time": "2024-01-01T00:00:05.000Z", "eventTime": "2024-01-01T00:00:05.000Z", "type": "message-delivered",
             "to": "+14155550101", "description": "ok", "message": MESSAGE}  # fmt: skip


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"content-type": "application/json", "authorization": f"Basic {token}"}


def push(events: object, headers: dict[str, str] | None = None, settings: object = SETTINGS, url: str = URL):  # type: ignore[no-untyped-def]
    sent = basic("cb", "pw") if headers is None else headers
    return parse_push("bandwidth", "POST", url, sent, json.dumps(events), settings)  # type: ignore[arg-type]


def test_a_delivered_event_parses() -> None:
    (report,) = push([DELIVERED]).reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+14155550101"
    assert report.provider_message_id == MESSAGE["id"] and report.segments == 2 and report.done_at == 1704067205.0


def test_failed_sent_and_received_events() -> None:
    failed = {**DELIVERED, "type": "message-failed", "errorCode": 4301}
    sent = {**DELIVERED, "type": "message-sent"}
    received = {"time": "2024-01-01T00:00:00Z", "type": "message-received", "to": "+19195550100",
                "message": {"id": "in-1", "from": "+14155550101", "text": "STOP"}}  # fmt: skip
    got = push([failed, sent, received])
    assert [(r.status, r.error_code) for r in got.reports] == [(DeliveryStatus.FAILED, "4301")]
    assert got.pending == 1 and [(m.sender, m.text) for m in got.inbound] == [("+14155550101", "STOP")]


@pytest.mark.parametrize("headers", [basic("cb", "wrong"), basic("other", "pw"), {}, {"authorization": "Basic !!"}])
def test_wrong_credentials_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(NotAuthentic) as info:
        push([DELIVERED], headers)
    assert info.value.reason == "credentials" and "pw" not in str(info.value)


def test_without_credentials_a_path_token_is_required() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        push([DELIVERED], settings={})
    assert len(push([DELIVERED], {}, {"path_token": "tok"}, URL + "/tok").reports) == 1


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest):
        parse_push("bandwidth", "POST", URL, basic("cb", "pw"), body, SETTINGS)
