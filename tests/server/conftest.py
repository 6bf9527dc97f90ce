"""A real uvicorn serving the app on a free loopback port, and keys to call it with."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from smsgate._config import Config
from smsgate.server import ApiKeys, Service, create_app
from smsgate.stores.sqlite import SQLiteStore
from tests.stores.conftest import store  # noqa: F401  (every store: memory, SQLite, Redis, PostgreSQL)


class Served:
    """Runs ``app`` under uvicorn in a thread on 127.0.0.1 (a free port) while used as a context manager."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:  # readiness: uvicorn sets it once the lifespan started and it listens
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


@dataclass
class Api:
    """A served app, its store, an HTTP client and one key per scope set."""

    url: str
    store: SQLiteStore
    app: FastAPI
    keys: ApiKeys
    tokens: dict[str, str]

    @property
    def service(self) -> Service:
        service: Service = self.app.state.service
        return service

    def client(self, token: str | None = "all", **kwargs: Any) -> httpx.Client:
        headers = {} if token is None else {"Authorization": f"Bearer {self.tokens.get(token, token)}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)

    def outbox(self) -> Any:
        return self.service.gateway.providers["memory"].outbox  # type: ignore[attr-defined]


VERIFY_KEYS = "1:" + "k" * 40


@pytest.fixture
def api(tmp_path, monkeypatch) -> Iterator[Api]:
    monkeypatch.setenv("SMSGATE_VERIFY_KEYS", VERIFY_KEYS)
    kept = SQLiteStore(tmp_path / "service.sqlite3")
    keys = ApiKeys(kept)
    tokens = {
        "all": keys.create("acme", ["send", "verify", "read"]).token,
        "reader": keys.create("acme", ["read"]).token,
        "sender": keys.create("acme", ["send"]).token,
        "other": keys.create("globex", ["send", "verify", "read"]).token,
    }
    app = create_app(Config(providers={"memory": {}}), store=kept, key_cache_ttl=0)
    with Served(app) as served:
        yield Api(served.url, kept, app, keys, tokens)
    kept.close()
