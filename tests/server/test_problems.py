"""Every error is RFC 9457 problem+json with smsgate's code and the field at fault; bad input is never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


def _post(http, body, headers=None):  # escaped JSON, so lone surrogates can be sent too
    headers = {"Content-Type": "application/json", **(headers or {})}
    return http.post("/v1/messages", content=json.dumps(body), headers=headers)


def _problem(reply, status: int, code: int, field: str | None = None) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status and body["code"] == code and body["type"] == f"urn:smsgate:error:{code}"
    assert body["instance"] == reply.request.url.path
    if field is not None:
        assert body["field"] == field
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": [], "template": "T"}, "to"),
        ({"to": ["13800138000"]}, "template"),  # neither a template nor a text
        ({"to": ["12"], "template": "T"}, "to"),
        ({"to": ["13800138000"], "template": "T", "colour": "red"}, "colour"),
        ({"to": ["13800138000"], "template": "T", "params": {"code": [1]}}, "params.code"),
        ({"to": ["13800138000"], "template": "T", "providers": ["nope"]}, "providers"),
        ({"to": ["13800138000"], "template": "T", "recipient_params": {"13900139000": {"a": "1"}}}, "recipient_params"),
        ({"to": ["13800138000"], "template": "\ud800"}, "template"),
    ],
)
def test_bad_messages_are_422_naming_the_field(api, body, field):
    with api.client() as http:
        reply = _post(http, body)
    _problem(reply, 422, 46001, field)
    assert len(api.outbox()) == 0


def test_a_body_that_is_not_json_is_400(api):
    with api.client() as http:
        reply = http.post("/v1/messages", content=b"{not json", headers={"Content-Type": "application/json"})
    _problem(reply, 400, 46001)


def test_every_bad_phone_is_named_at_once(api):
    with api.client() as http:
        reply = http.post("/v1/messages", json={"to": ["12", "13800138000", "34"], "template": "T"})
    body = _problem(reply, 422, 46001, "to")
    assert "'12'" in body["detail"] and "'34'" in body["detail"]


def test_bad_query_parameters_are_422(api):
    with api.client() as http:
        _problem(http.get("/v1/messages", params={"limit": 0}), 422, 46001, "limit")
        _problem(http.get("/v1/messages", params={"status": "sent"}), 422, 46001, "status")
        _problem(http.get("/v1/messages", params={"phone": "12"}), 422, 46001, "phone")
        _problem(http.get("/v1/messages", params={"cursor": "-1"}), 422, 46001, "cursor")
        _problem(http.get("/v1/messages/not-an-id"), 422, 46001, "message_id")


def test_unknown_routes_and_methods_are_problems_too(api):
    with api.client() as http:
        _problem(http.get("/v1/nothing"), 404, 46001)
        _problem(http.delete("/v1/messages"), 405, 46001)


def test_a_send_in_progress_under_the_same_key_is_409(api):
    api.store.add("idem:acme:busy", "pending", 60)  # as a send still running holds it
    with api.client() as http:
        reply = _post(http, {"to": ["13800138000"], "template": "T"}, headers={"Idempotency-Key": "busy"})
    body = _problem(reply, 409, 46004)
    assert body["rule"] == "idempotency"
    assert len(api.outbox()) == 0


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "to",
        "template",
        "text",
        "params",
        "sign_name",
        "templates",
        "recipient_params",
        "providers",
        "param_order",
        "extend_code",
    ]
)


def test_any_json_body_gets_a_result_or_a_4xx_problem(api):
    with api.client() as http:

        @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(body=st.dictionaries(_fields, _json, max_size=5) | _json)
        def answered(body):
            reply = _post(http, body)
            if reply.status_code == 200:
                assert {r["status"] for r in reply.json()["recipients"]} == {"accepted"}
                return
            _problem(reply, reply.status_code, reply.json()["code"])
            assert 400 <= reply.status_code < 500

        answered()
