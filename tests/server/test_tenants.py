"""Tenants with provider settings of their own (kept by the extensions platform) send with them."""

from __future__ import annotations

import httpx

from smsgate import SQLiteStore
from smsgate._config import Config
from smsgate.emulators import create, serve
from smsgate.extensions import EndpointPolicy, Platform
from smsgate.server import ApiKeys, create_app

from .conftest import Served

PACKAGE = "com.smsgate.sms.aliyun"
MESSAGE = {"to": ["13800138000"], "template": "SMS_1", "params": {"code": "1"}}


def test_a_tenant_with_its_own_aliyun_account_sends_there_and_others_use_the_service(tmp_path):
    platform = Platform(tmp_path / "extensions.sqlite3", endpoints=EndpointPolicy(allow=["127.0.0.1"]))
    platform.load_entry_points()
    store = SQLiteStore(tmp_path / "s.sqlite3")
    keys = ApiKeys(store)
    own, shared = keys.create("acme", ["send", "read"]).token, keys.create("globex", ["send", "read"]).token
    with serve(create("aliyun")) as aliyun:
        settings = aliyun.settings()
        platform.save_settings(
            "acme", PACKAGE, {k: settings[k] for k in ("access_key_id", "access_key_secret", "endpoint")}
        )
        app = create_app(Config(providers={"memory": {}}), store=store, tenant_settings=platform)
        with Served(app) as served, httpx.Client(base_url=served.url) as http:
            mine = http.post(
                "/v1/messages", json={**MESSAGE, "sign_name": "Acme"}, headers={"Authorization": f"Bearer {own}"}
            ).json()
            theirs = http.post("/v1/messages", json=MESSAGE, headers={"Authorization": f"Bearer {shared}"}).json()
            assert "message_id" in mine, mine
            seen = http.get(f"/v1/messages/{mine['message_id']}", headers={"Authorization": f"Bearer {own}"}).json()
            outbox = app.state.service.gateway.providers["memory"].outbox
            metrics = http.get("/metrics").text
    assert mine["ok"] and mine["recipients"][0]["provider"] == "aliyun"
    assert [d.phone for d in aliyun.delivered] == ["13800138000"]
    assert theirs["ok"] and theirs["recipients"][0]["provider"] == "memory" and len(outbox) == 1
    assert seen["recipients"][0]["provider"] == "aliyun"  # recorded in the service's send log
    assert 'smsgate_attempts_total{provider="aliyun",status="accepted"} 1.0' in metrics
    store.close()


def test_a_tenants_endpoint_outside_the_policy_is_a_422_naming_the_field(tmp_path):
    platform = Platform(tmp_path / "extensions.sqlite3")  # only the providers' public hosts
    platform.load_entry_points()
    platform.store.put_settings(
        "acme",
        PACKAGE,
        {"access_key_id": "a", "access_key_secret": "b", "endpoint": "127.0.0.1:9"},
        secrets=["access_key_secret"],
    )
    store = SQLiteStore(tmp_path / "s.sqlite3")
    token = ApiKeys(store).create("acme", ["send"]).token
    with Served(create_app(Config(providers={"memory": {}}), store=store, tenant_settings=platform)) as served:
        reply = httpx.post(f"{served.url}/v1/messages", json=MESSAGE, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 422 and reply.json()["code"] == 46010
    assert "endpoint" in reply.json()["detail"] and "b" not in reply.json()["detail"].split()
    store.close()
