"""``create_app``: the embedded default, its own store, and staying out of ``import smsgate``."""

from __future__ import annotations

import subprocess
import sys

import httpx

from smsgate import SQLiteStore
from smsgate._config import Config
from smsgate.server import ApiKeys, create_app

from .conftest import Served


def test_import_smsgate_loads_nothing_of_the_server():
    code = (
        "import sys, smsgate\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'uvicorn', 'starlette', "
        "'prometheus_client') or m.startswith('smsgate.server')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_a_store_it_opens_sqlite_at_the_send_log_and_closes_it(tmp_path):
    log = tmp_path / "records.sqlite3"
    ring_store = SQLiteStore(log)
    token = ApiKeys(ring_store).create("acme", ["send", "read"]).token
    ring_store.close()
    app = create_app(Config(providers={"memory": {}}, send_log=str(log)))
    with Served(app) as served, httpx.Client(base_url=served.url) as http:
        auth = {"Authorization": f"Bearer {token}"}
        sent = http.post("/v1/messages", headers=auth, json={"to": ["13800138000"], "template": "T"}).json()
        assert sent["ok"]
    records = SQLiteStore(log)
    assert {r.status for r in records.log_query(message_id=sent["message_id"])} == {"accepted"}
    records.close()


def test_other_routers_can_be_added(tmp_path):
    app = create_app(Config(providers={"memory": {}}), store=SQLiteStore(tmp_path / "s.sqlite3"))

    @app.get("/ui/")
    async def ui() -> dict[str, str]:
        return {"ui": "here"}

    with Served(app) as served:
        assert httpx.get(f"{served.url}/ui/").json() == {"ui": "here"}


def test_a_shared_store_in_the_config_holds_keys_and_records(redis_url):
    from smsgate.server import store_for

    config = Config(providers={"memory": {}}, store=redis_url, send_log=redis_url)
    keys_store = store_for(config)
    token = ApiKeys(keys_store).create("acme", ["send", "read"]).token
    replicas = [create_app(config), create_app(config)]  # two replicas on one Redis
    with Served(replicas[0]) as one, Served(replicas[1]) as two:
        auth = {"Authorization": f"Bearer {token}"}
        sent = httpx.post(f"{one.url}/v1/messages", headers=auth, json={"to": ["13800138000"], "template": "T"})
        seen = httpx.get(f"{two.url}/v1/messages/{sent.json()['message_id']}", headers=auth)
        again = httpx.post(
            f"{two.url}/v1/messages",
            headers={**auth, "Idempotency-Key": "k"},
            json={"to": ["13800138000"], "template": "T"},
        )
        replay = httpx.post(
            f"{one.url}/v1/messages",
            headers={**auth, "Idempotency-Key": "k"},
            json={"to": ["13800138000"], "template": "T"},
        )
    assert seen.status_code == 200 and seen.json()["status"] == "accepted"
    assert replay.json()["replayed"] and replay.json()["message_id"] == again.json()["message_id"]
    keys_store.close()
