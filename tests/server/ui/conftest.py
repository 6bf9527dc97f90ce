"""The dashboard served by a real uvicorn, an admin key per tenant, and signing in over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from smsgate._config import Config
from smsgate.server import ApiKeys, create_app
from smsgate.stores.sqlite import SQLiteStore

from ..conftest import VERIFY_KEYS, Served

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Dashboard:
    url: str
    store: SQLiteStore
    tokens: dict[str, str]
    app: Any = None

    @property
    def outbox(self) -> Any:
        """The memory provider's outbox: what was sent."""
        return self.app.state.service.gateway.providers["memory"].outbox

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def api(self, token: str = "admin") -> httpx.Client:
        """A client of the API with ``token``'s key."""
        headers = {"Authorization": f"Bearer {self.tokens.get(token, token)}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    @contextmanager
    def signed_in(self, token: str = "admin") -> Iterator[httpx.Client]:
        """A client with a session of ``token``'s key (a name in ``tokens`` or a token)."""
        with self.client() as client:
            form = client.get("/ui/login")
            answer = client.post("/ui/login", data={"key": self.tokens.get(token, token), "csrf": csrf(form.text)})
            assert answer.status_code == 303, answer.text
            yield client


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


@pytest.fixture
def dashboard(tmp_path, monkeypatch) -> Iterator[Dashboard]:
    monkeypatch.setenv("SMSGATE_VERIFY_KEYS", VERIFY_KEYS)
    monkeypatch.setenv("SMSGATE_UI_OPERATOR", "ops")
    store = SQLiteStore(tmp_path / "service.sqlite3")
    keys = ApiKeys(store)
    tokens = {
        "admin": keys.create("acme", ["admin"]).token,
        "sender": keys.create("acme", ["send", "read"]).token,
        "other": keys.create("globex", ["admin"]).token,
        "operator": keys.create("ops", ["admin"]).token,
    }
    app = create_app(Config(providers={"memory": {}}), store=store, key_cache_ttl=0)
    with Served(app) as served:
        yield Dashboard(served.url, store, tokens, app)
    store.close()
