"""Keys on the wire: missing, malformed, unknown, revoked, wrong scope, over its rate."""

from __future__ import annotations

import time

import pytest

MESSAGE = {"to": ["13800138000"], "template": "SMS_1", "params": {"code": "1"}}


def _problem(reply, status: int, rule: str) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and body["code"] == 46004 and body["rule"] == rule
    return body


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}, {"Authorization": "Bearer nope"}],
)
def test_no_usable_key_is_401_and_sends_nothing(api, headers):
    with api.client(None) as http:
        reply = http.post("/v1/messages", json=MESSAGE, headers=headers)
    _problem(reply, 401, "api_key")
    assert reply.headers["www-authenticate"] == "Bearer"
    assert len(api.outbox()) == 0


def test_a_wrong_secret_for_a_real_key_id_is_401(api):
    real = api.tokens["all"]
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    with api.client(forged) as http:
        _problem(http.get("/v1/messages"), 401, "api_key")


def test_a_revoked_key_stops_working(api):
    with api.client("sender") as http:
        assert http.post("/v1/messages", json=MESSAGE).status_code == 200
        api.keys.revoke(api.tokens["sender"])
        _problem(http.post("/v1/messages", json=MESSAGE), 401, "api_key")
    assert len(api.outbox()) == 1


def test_a_key_without_the_scope_is_403(api):
    with api.client("reader") as reader, api.client("sender") as sender:
        _problem(reader.post("/v1/messages", json=MESSAGE), 403, "scope")
        _problem(sender.get("/v1/messages"), 403, "scope")
        assert reader.get("/v1/messages").status_code == 200
    assert len(api.outbox()) == 0


def test_admin_has_every_scope(api):
    with api.client(api.keys.create("acme", ["admin"]).token) as http:
        assert http.post("/v1/messages", json=MESSAGE).status_code == 200
        assert http.get("/v1/messages").status_code == 200


def test_a_key_over_its_rate_gets_429_with_retry_after(api):
    token = api.keys.create("acme", ["send"], rate=3).token
    replies, windows = [], set()
    with api.client(token) as http:
        for _ in range(5):
            windows.add(int(time.time() // 60))
            replies.append(http.post("/v1/messages", json=MESSAGE))
            windows.add(int(time.time() // 60))
    codes = [r.status_code for r in replies]
    if len(windows) == 1:  # else a minute boundary fell between the requests and a window reset
        assert codes == [200, 200, 200, 429, 429]
    assert set(codes) <= {200, 429} and 3 <= codes.count(200) <= 5
    limited = [r for r in replies if r.status_code == 429]
    for reply in limited:
        body = _problem(reply, 429, "key_rate")
        assert 1 <= int(reply.headers["retry-after"]) <= 61 and "3 requests a minute" in body["detail"]
    assert len(api.outbox()) == codes.count(200)
