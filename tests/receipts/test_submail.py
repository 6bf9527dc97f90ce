"""Submail receipts: SUBHOOK events signed md5(token + key), or behind a path token."""

from __future__ import annotations

import contextlib
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import ConfigError, DeliveryStatus, InvalidRequest, NotAuthentic
from smsgate.receipts import parse_push
from smsgate.stores.memory import MemoryStore

URL = "https://example.com/subhook"
SETTINGS = {"subhook_key": "hook-key"}
JSON = {"content-type": "application/json"}


def event(kind: str = "delivered", token: str = "a" * 32, key: str = "hook-key", **extra: str) -> bytes:
    body = {"events": kind, "address": "13800138000", "app": "10001", "send_id": "093c0a7df143c087d6cba9cdf0cf3738",
            "tag": "t-1", "report": "", "timestamp": "1704067205", "token": token,
            "signature": hashlib.md5(f"{token}{key}".encode()).hexdigest(), **extra}  # fmt: skip
    return json.dumps(body).encode()


def test_reports_and_replies_parse() -> None:
    (report,) = parse_push("submail", "POST", URL, JSON, event(), SETTINGS).reports
    assert report.status is DeliveryStatus.DELIVERED and report.phone == "+8613800138000"
    assert report.provider_message_id == "093c0a7df143c087d6cba9cdf0cf3738" and report.done_at == 1704067205.0
    (dropped,) = parse_push(
        "submail", "POST", URL, JSON, event("dropped", "b" * 32, report="MK:0001"), SETTINGS
    ).reports
    assert dropped.status is DeliveryStatus.FAILED and dropped.error_code == "MK:0001"
    (reply,) = parse_push("submail", "POST", URL, JSON, event("mo", "c" * 32, content="TD"), SETTINGS).inbound
    assert (reply.sender, reply.text) == ("+8613800138000", "TD")
    assert parse_push("submail", "POST", URL, JSON, event("sending", "d" * 32), SETTINGS).pending == 1


def test_a_wrong_signature_and_a_replay_are_refused() -> None:
    with pytest.raises(NotAuthentic):
        parse_push("submail", "POST", URL, JSON, event(key="guess"), SETTINGS)
    seen = MemoryStore()
    parse_push("submail", "POST", URL, JSON, event(), SETTINGS, seen=seen)
    with pytest.raises(NotAuthentic) as info:
        parse_push("submail", "POST", URL, JSON, event(), SETTINGS, seen=seen)
    assert info.value.reason == "replay"


def test_without_a_key_a_path_token_is_required() -> None:
    with pytest.raises(ConfigError, match="path_token"):
        parse_push("submail", "POST", URL, JSON, event(), {})


@given(st.binary(max_size=200))
def test_any_body_parses_or_is_a_typed_error(body: bytes) -> None:
    with contextlib.suppress(InvalidRequest, NotAuthentic):
        parse_push("submail", "POST", URL, JSON, body, SETTINGS)
