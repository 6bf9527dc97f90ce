"""``/v1/messages`` against a real uvicorn."""

from __future__ import annotations

import time

import pytest

MESSAGE = {"to": ["13800138000", "+86 139 0013 9000"], "template": "SMS_1", "params": {"code": "1234"}}


def test_send_answers_a_line_per_recipient(api):
    with api.client() as http:
        reply = http.post("/v1/messages", json=MESSAGE)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["ok"] is True and body["replayed"] is False
    assert [r["phone"] for r in body["recipients"]] == ["+8613800138000", "+8613900139000"]
    assert {r["status"] for r in body["recipients"]} == {"accepted"}
    assert [e.to for e in api.outbox()] == ["+8613800138000", "+8613900139000"]


def test_a_sent_message_can_be_read_back(api):
    with api.client() as http:
        sent = http.post("/v1/messages", json=MESSAGE).json()
        reply = http.get(f"/v1/messages/{sent['message_id']}")
    assert reply.status_code == 200, reply.text
    view = reply.json()
    assert view["id"] == sent["message_id"]
    assert view["status"] == "accepted"
    assert [r["phone"] for r in view["recipients"]] == ["+8613800138000", "+8613900139000"]
    assert view["recipients"][0]["provider"] == "memory"
    assert view["attempts"][0]["status"] == "accepted"


def test_idempotent_resend_returns_the_first_result_and_sends_nothing(api):
    with api.client() as http:
        first = http.post("/v1/messages", json=MESSAGE, headers={"Idempotency-Key": "order-1"})
        second = http.post("/v1/messages", json=MESSAGE, headers={"Idempotency-Key": "order-1"})
        listed = http.get("/v1/messages").json()
    assert first.status_code == second.status_code == 200
    assert second.json()["message_id"] == first.json()["message_id"]
    assert second.json()["replayed"] is True and second.headers["Idempotent-Replayed"] == "true"
    assert len(api.outbox()) == 2
    assert [m["id"] for m in listed["items"]] == [first.json()["message_id"]]


def test_idempotency_keys_are_per_tenant(api):
    with api.client() as mine, api.client("other") as theirs:
        a = mine.post("/v1/messages", json=MESSAGE, headers={"Idempotency-Key": "k"}).json()
        b = theirs.post("/v1/messages", json=MESSAGE, headers={"Idempotency-Key": "k"}).json()
    assert a["message_id"] != b["message_id"] and not b["replayed"]
    assert len(api.outbox()) == 4


def test_list_is_newest_first_and_paged(api):
    with api.client() as http:
        ids = [
            http.post("/v1/messages", json={**MESSAGE, "to": [f"1380013800{i}"]}).json()["message_id"] for i in range(5)
        ]
        first = http.get("/v1/messages", params={"limit": 2}).json()
        second = http.get("/v1/messages", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        third = http.get("/v1/messages", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    seen = [m["id"] for page in (first, second, third) for m in page["items"]]
    assert seen == ids[::-1]
    assert third["next_cursor"] is None


def test_list_filters_by_phone_status_and_since(api):
    with api.client() as http:
        http.post("/v1/messages", json={**MESSAGE, "to": ["13800138000"]})
        api.outbox()  # the memory provider refuses the next send
        api.service.gateway.providers["memory"].fail_with("recipient")
        failed = http.post("/v1/messages", json={**MESSAGE, "to": ["13900139000"]}).json()
        by_phone = http.get("/v1/messages", params={"phone": "139 0013 9000"}).json()
        by_status = http.get("/v1/messages", params={"status": "rejected"}).json()
        future = http.get("/v1/messages", params={"since": "2999-01-01T00:00:00Z"}).json()
        past = http.get("/v1/messages", params={"since": time.time() - 3600}).json()
    assert [m["id"] for m in by_phone["items"]] == [failed["message_id"]]
    assert [m["id"] for m in by_status["items"]] == [failed["message_id"]]
    assert future == {"items": [], "next_cursor": None}
    assert len(past["items"]) == 2


@pytest.mark.parametrize("token", ["other"])
def test_another_tenants_message_is_not_found(api, token):
    with api.client() as http, api.client(token) as theirs:
        sent = http.post("/v1/messages", json=MESSAGE).json()
        reply = theirs.get(f"/v1/messages/{sent['message_id']}")
        listed = theirs.get("/v1/messages").json()
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["code"] == 46001 and reply.json()["field"] == "message_id"
    assert listed["items"] == []


def test_a_send_is_answered_even_when_its_ownership_cannot_be_written(api, monkeypatch, caplog):
    async def broken(tenant, message_id):
        raise OSError("disk full")

    monkeypatch.setattr(api.service.records, "own", broken)
    with api.client() as http:
        reply = http.post("/v1/messages", json=MESSAGE)
    assert reply.status_code == 200 and reply.json()["ok"]
    assert len(api.outbox()) == 2
    assert "could not record that message" in caplog.text


def test_a_malformed_cursor_is_a_problem_naming_it(api):
    with api.client() as http:
        reply = http.get("/v1/messages", params={"cursor": "12.5"})
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["field"] == "cursor"
