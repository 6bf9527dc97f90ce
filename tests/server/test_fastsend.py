"""``FastSend``: the common ``POST /v1/messages`` answered in place answers exactly as the route.

A key with a request rate always goes through the route (its rate is counted there), so the same
request made with a rate-free key (the fast path) and with a rated key (the route) must get the
same status, content type and body, whatever the body is.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsgate.server._fastsend import FastSend

MESSAGE = {"to": ["13800138000"], "template": "SMS_1", "params": {"code": "1234"}}
_VARYING = {"message_id", "created_at", "started_at", "elapsed"}


def _same(data: Any) -> Any:
    """``data`` without what differs between any two sends (ids, times)."""
    if isinstance(data, dict):
        return {k: _same(v) for k, v in data.items() if k not in _VARYING}
    if isinstance(data, list):
        return [_same(v) for v in data]
    return data


@pytest.fixture
def rated(api) -> str:
    return api.keys.create("acme", ["send"], rate=100_000).token


def _both(api, rated: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[Any, Any]:
    replies = []
    for token in (api.tokens["sender"], rated):
        with api.client(token) as http:
            reply = http.post(
                "/v1/messages", content=body, headers={"Content-Type": "application/json", **(headers or {})}
            )
        try:
            parsed = _same(reply.json())
        except ValueError:
            parsed = reply.text
        replies.append(
            (reply.status_code, reply.headers["content-type"], reply.headers.get("idempotent-replayed"), parsed)
        )
    return replies[0], replies[1]


def test_a_send_is_answered_alike_in_place_and_by_the_route(api, rated):
    fast, route = _both(api, rated, json.dumps(MESSAGE).encode())
    assert fast == route and fast[0] == 200
    assert len(api.outbox()) == 2  # one send each: nothing sent twice, nothing skipped


def test_an_idempotent_resend_is_replayed_alike(api, rated):
    first, replayed = _both(api, rated, json.dumps(MESSAGE).encode(), {"Idempotency-Key": "k1"})
    fast, route = _both(api, rated, json.dumps(MESSAGE).encode(), {"Idempotency-Key": "k1"})
    assert first[2] is None and replayed[2] == "true"  # both keys are acme's: the route replays the first
    assert fast == route == replayed
    assert len(api.outbox()) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"to": []}',
        b'{"to": ["not a phone"], "template": "T"}',
        b'{"to": ["13800138000"]}',
        b'{"to": ["13800138000"], "template": "T", "extra": 1}',
        b'{"to": ["13800138000"], "template": "T", "providers": ["nope"]}',
        b'{"to": ["13800138000"], "template": "T", "params": {"n": 12}}',
        b'{"to": ["13800138000"], "template": "\\ud800"}',
        b'{"to": ["13800138000"], "template": "T", "params": {"n": NaN}}',
    ],
)
def test_bad_and_odd_bodies_are_answered_alike(api, rated, body):
    fast, route = _both(api, rated, body)
    assert fast == route


@pytest.mark.parametrize(
    "content_type", ["application/jsonx", "Application/JSON; charset=utf-8", "text/plain", "application/x+json"]
)
def test_any_content_type_is_answered_alike(api, rated, content_type):
    fast, route = _both(api, rated, json.dumps(MESSAGE).encode(), {"Content-Type": content_type})
    assert fast == route


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.fixed_dictionaries(
        {"to": st.lists(st.sampled_from(["13800138000", "+8613900139000", "12", "+1 202 555 0100"]), max_size=3)},
        optional={
            "template": st.text(max_size=5),
            "text": st.text(max_size=5),
            "params": st.dictionaries(st.text(max_size=3), st.one_of(st.text(max_size=3), st.integers()), max_size=2),
            "sign_name": st.none() | st.text(max_size=3),
            "providers": st.lists(st.sampled_from(["memory", "aliyun"]), max_size=2),
        },
    )
)
def test_any_body_is_answered_alike(api, rated, body):
    fast, route = _both(api, rated, json.dumps(body).encode())
    assert fast == route


def test_every_other_request_is_passed_on_unchanged():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["method"], scope["path"], await receive()))

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        raise AssertionError("FastSend answered a request that is not its own")

    for method, path in (("GET", "/v1/messages"), ("POST", "/v1/messages/x"), ("POST", "/v1/verifications")):
        asyncio.run(FastSend(app)({"type": "http", "method": method, "path": path, "headers": []}, receive, send))
    assert [s[:2] for s in seen] == [("GET", "/v1/messages"), ("POST", "/v1/messages/x"), ("POST", "/v1/verifications")]
    assert all(s[2]["body"] == b"{}" for s in seen)
