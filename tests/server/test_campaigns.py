"""``/v1/campaigns`` against a real uvicorn: upload, follow, pause, resume; tenants kept apart."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest

from smsgate._config import Config
from smsgate.server import ApiKeys, create_app
from smsgate.stores.sqlite import SQLiteStore
from tests.server.conftest import Served
from tests.waits import wait_until


@pytest.fixture
def served(tmp_path):
    store = SQLiteStore(tmp_path / "service.sqlite3")
    keys = ApiKeys(store)
    tokens = {
        "acme": keys.create("acme", ["send", "read"]).token,
        "globex": keys.create("globex", ["send", "read"]).token,
    }
    config = Config(providers={"file": {"path": str(tmp_path / "outbox.jsonl")}},
                    campaigns={"uploads": str(tmp_path / "uploads"), "chunk_size": 100})  # fmt: skip
    with Served(create_app(config, store=store, key_cache_ttl=0)) as server:
        yield server, tokens, tmp_path / "outbox.jsonl"
    store.close()


def client(served, tenant: str = "acme") -> httpx.Client:
    server, tokens, _ = served
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {tokens[tenant]}"}, timeout=30)


def csv_body(rows: int, bad: tuple[int, ...] = ()) -> bytes:
    lines = ["phone,code"] + [f"{'12345' if n in bad else f'138{n:08d}'},{n}" for n in range(1, rows + 1)]
    return ("\n".join(lines) + "\n").encode()


def sent_to(outbox) -> Counter[str]:
    if not outbox.exists():
        return Counter()
    return Counter(json.loads(line)["to"] for line in outbox.read_text().splitlines())


def test_an_uploaded_csv_is_sent_and_followed(served):
    with client(served) as http:
        reply = http.post("/v1/campaigns", files={"file": ("r.csv", csv_body(450, bad=(7,)), "text/csv")},
                          data={"template": "SMS_1", "params": '{"brand": "Acme"}'})  # fmt: skip
        assert reply.status_code == 202, reply.text
        campaign_id = reply.json()["id"]
        wait_until(lambda: http.get(f"/v1/campaigns/{campaign_id}").json()["status"] == "done", what="done")
        state = http.get(f"/v1/campaigns/{campaign_id}").json()
    assert state["counts"]["accepted"] == 449 and state["counts"]["invalid"] == 1 and state["name"] == "r.csv"
    sent = sent_to(served[2])
    assert len(sent) == 449 and set(sent.values()) == {1}


def test_json_lines_too(served):
    body = b'{"phone": "13800138000", "code": "1"}\n{"phone": "13900139000", "code": "2"}\n'
    with client(served) as http:
        campaign_id = http.post("/v1/campaigns", files={"file": ("r.jsonl", body)}, data={"template": "T"}).json()["id"]
        wait_until(lambda: http.get(f"/v1/campaigns/{campaign_id}").json()["status"] == "done", what="done")
    assert sorted(sent_to(served[2])) == ["+8613800138000", "+8613900139000"]


def test_other_tenants_do_not_see_it(served):
    with client(served) as http, client(served, "globex") as other:
        campaign_id = http.post("/v1/campaigns", files={"file": ("r.csv", csv_body(3))}, data={"template": "T"}).json()[
            "id"
        ]
        for reply in (other.get(f"/v1/campaigns/{campaign_id}"), other.post(f"/v1/campaigns/{campaign_id}/pause")):
            assert reply.status_code == 404 and reply.headers["content-type"] == "application/problem+json"
        assert http.get("/v1/campaigns/0123456789abcdef").status_code == 404


@pytest.mark.parametrize(
    ("files", "data", "field"),
    [
        ({"file": ("r.csv", b"mobile,code\n13800138000,1\n")}, {"template": "T"}, None),
        ({"file": ("r.csv", csv_body(2))}, {}, "template"),
        ({"file": ("r.csv", csv_body(2))}, {"template": "T", "params": "[1]"}, "params"),
        ({}, {"template": "T"}, "file"),
    ],
)
def test_bad_uploads_are_problems_not_500s(served, files, data, field):
    with client(served) as http:
        reply = http.post("/v1/campaigns", files=files or None, data=data)
    assert reply.status_code == 422, reply.text
    problem = reply.json()
    assert problem["code"] == 46001 and (field is None or problem["field"] == field)
    assert not sent_to(served[2])


def test_pause_then_resume(served):
    with client(served) as http:
        campaign_id = http.post(
            "/v1/campaigns", files={"file": ("r.csv", csv_body(2000))}, data={"template": "T"}
        ).json()["id"]
        paused = http.post(f"/v1/campaigns/{campaign_id}/pause")
        if paused.status_code == 200:  # not done yet: it stops after its chunk in flight
            wait_until(
                lambda: len(sent_to(served[2])) == http.get(f"/v1/campaigns/{campaign_id}").json()["counts"]["accepted"]
            )
            assert http.get(f"/v1/campaigns/{campaign_id}").json()["status"] == "paused"
            assert http.post(f"/v1/campaigns/{campaign_id}/resume").status_code == 200
        wait_until(lambda: http.get(f"/v1/campaigns/{campaign_id}").json()["status"] == "done", what="done")
    sent = sent_to(served[2])
    assert len(sent) == 2000 and set(sent.values()) == {1}
