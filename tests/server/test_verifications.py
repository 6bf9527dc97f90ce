"""``/v1/verifications``: codes sent, checked and canceled per tenant; never a code in an answer."""

from __future__ import annotations

START = {"to": "13800138000", "template": "SMS_CODE"}


def _code(api) -> str:
    return api.outbox()[-1].params["code"]


def test_start_then_check_approves_and_never_shows_the_code(api):
    with api.client() as http:
        started = http.post("/v1/verifications", json=START)
        code = _code(api)
        wrong = "0" * len(code) if code != "0" * len(code) else "1" * len(code)
        failed = http.post(f"/v1/verifications/{started.json()['id']}/check", json={"code": wrong})
        approved = http.post(f"/v1/verifications/{started.json()['id']}/check", json={"code": code})
        looked = http.get(f"/v1/verifications/{started.json()['id']}")
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["status"] == "pending" and body["purpose"] == "login" and body["phone"] == "+8613800138000"
    assert body["send_status"] == "accepted" and body["expires_at"]
    for reply in (started, failed, approved, looked):
        assert code not in reply.text
    assert failed.status_code == 422 and failed.headers["content-type"] == "application/problem+json"
    assert failed.json()["code"] == 46020 and failed.json()["field"] == "code"
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert looked.json()["status"] == "approved"


def test_cancel(api):
    with api.client() as http:
        vid = http.post("/v1/verifications", json=START).json()["id"]
        canceled = http.post(f"/v1/verifications/{vid}/cancel")
        check = http.post(f"/v1/verifications/{vid}/check", json={"code": _code(api)})
    assert canceled.json()["status"] == "canceled"
    assert check.status_code == 422


def test_a_resend_within_the_cooldown_is_429(api):
    with api.client() as http:
        vid = http.post("/v1/verifications", json=START).json()["id"]
        again = http.post(f"/v1/verifications/{vid}/resend")
    assert again.status_code == 429 and again.json()["rule"] == "resend_cooldown"
    assert len(api.outbox()) == 1


def test_another_tenants_verification_is_not_found(api):
    with api.client() as mine, api.client("other") as theirs:
        vid = mine.post("/v1/verifications", json=START).json()["id"]
        code = _code(api)
        for reply in (
            theirs.get(f"/v1/verifications/{vid}"),
            theirs.post(f"/v1/verifications/{vid}/check", json={"code": code}),
            theirs.post(f"/v1/verifications/{vid}/cancel"),
        ):
            assert reply.status_code == 404 and reply.json()["field"] == "verification_id"
        assert mine.get(f"/v1/verifications/{vid}").json()["status"] == "pending"


def test_tenants_do_not_cancel_each_others_verifications(api):
    with api.client() as mine, api.client("other") as theirs:
        ours = mine.post("/v1/verifications", json=START).json()["id"]
        our_code = _code(api)
        theirs.post("/v1/verifications", json=START)
        assert mine.post(f"/v1/verifications/{ours}/check", json={"code": our_code}).json()["status"] == "approved"


def test_an_idempotent_start_sends_once(api):
    with api.client() as http:
        first = http.post("/v1/verifications", json=START, headers={"Idempotency-Key": "signup-1"}).json()
        second = http.post("/v1/verifications", json=START, headers={"Idempotency-Key": "signup-1"}).json()
    assert first["id"] == second["id"] and len(api.outbox()) == 1


def test_bad_input_is_422_naming_the_field(api):
    with api.client() as http:
        assert http.post("/v1/verifications", json={**START, "to": "12"}).json()["field"] == "to"
        assert http.post("/v1/verifications", json={"to": "13800138000"}).json()["field"] == "template"
        assert http.post("/v1/verifications", json={**START, "ttl": 3600}).json()["field"] == "ttl"  # login: 600 s
    assert len(api.outbox()) == 0


def test_the_verify_scope_is_needed(api):
    with api.client("sender") as http:
        assert http.post("/v1/verifications", json=START).status_code == 403


def test_outcomes_are_counted(api):
    with api.client() as http:
        vid = http.post("/v1/verifications", json=START).json()["id"]
        http.post(f"/v1/verifications/{vid}/check", json={"code": "x"})
        lines = set(http.get("/metrics").text.splitlines())
    assert 'smsgate_verifications_total{event="start",status="pending"} 1.0' in lines
    assert 'smsgate_verifications_total{event="check",status="failed"} 1.0' in lines


def test_without_server_keys_verification_is_503_and_the_rest_works(tmp_path, monkeypatch):
    from smsgate import SQLiteStore
    from smsgate._config import Config
    from smsgate.server import ApiKeys, create_app

    from .conftest import Served

    monkeypatch.delenv("SMSGATE_VERIFY_KEYS", raising=False)
    store = SQLiteStore(tmp_path / "s.sqlite3")
    token = ApiKeys(store).create("acme").token
    import httpx

    with Served(create_app(Config(providers={"memory": {}}), store=store)) as served:
        auth = {"Authorization": f"Bearer {token}"}
        reply = httpx.post(f"{served.url}/v1/verifications", json=START, headers=auth)
        sent = httpx.post(f"{served.url}/v1/messages", json={"to": ["13800138000"], "template": "T"}, headers=auth)
    assert reply.status_code == 503 and reply.json()["code"] == 46010
    assert "SMSGATE_VERIFY_KEYS" in reply.json()["detail"]
    assert sent.status_code == 200
    store.close()
