"""Graceful shutdown of ``smsgate serve`` under load: every accepted request is answered and recorded.

The Aliyun emulator holds every request until the test releases it, so the sends are provably in
flight at the provider when SIGTERM arrives; the server must stop listening, let them finish,
record them, and only then exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from smsgate.emulators import serve
from smsgate.emulators.aliyun import AliyunFake
from smsgate.server import ApiKeys
from smsgate.stores.sqlite import SQLiteStore
from tests.fixtures.redis import free_port

IN_FLIGHT = 24


class HeldAliyun(AliyunFake):
    """Aliyun that counts arrivals and answers none until :meth:`release`."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = 0
        self.released = threading.Event()

    async def handle(self, received):  # type: ignore[no-untyped-def]
        self.arrived += 1  # the emulator's own event loop: no other thread writes it
        while not self.released.is_set():
            await asyncio.sleep(0.005)
        return await super().handle(received)


def _until(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _config(tmp_path: Path, settings: dict) -> Path:
    lines = [f"send_log = {json.dumps(str(tmp_path / 'service.sqlite3'))}", "[providers.aliyun]"]
    lines += [f"{key} = {json.dumps(str(value), ensure_ascii=False)}" for key, value in settings.items()]
    path = tmp_path / "smsgate.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sigterm_finishes_and_records_every_send_in_flight(tmp_path):
    with serve(HeldAliyun()) as aliyun:
        config = _config(tmp_path, aliyun.settings())
        store = SQLiteStore(tmp_path / "service.sqlite3")
        token = ApiKeys(store).create("acme", ["send", "read"]).token
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [str(Path(sys.executable).parent / "smsgate"), "serve", "--config", str(config), "--port", str(port)]
        server = subprocess.Popen(command, cwd=tmp_path, env={**os.environ, "SMSGATE_TRANSPORT": "aiohttp"})
        try:
            _until(lambda: _healthy(url) or server.poll() is not None, "the server to start")
            assert server.poll() is None, "smsgate serve exited"
            replies: list[httpx.Response | Exception] = []

            def post(n: int) -> None:
                body = {"to": [f"138{n:08d}"], "template": "SMS_1", "params": {"code": str(n)}}
                try:
                    replies.append(
                        httpx.post(
                            f"{url}/v1/messages", json=body, timeout=60, headers={"Authorization": f"Bearer {token}"}
                        )
                    )
                except Exception as exc:
                    replies.append(exc)

            clients = [threading.Thread(target=post, args=(n,)) for n in range(IN_FLIGHT)]
            for client in clients:
                client.start()
            _until(lambda: aliyun.arrived == IN_FLIGHT, "every send to reach the provider")

            server.send_signal(signal.SIGTERM)
            _until(lambda: not _listening(port), "the server to stop accepting connections")
            assert server.poll() is None, "the server exited with sends in flight"
            aliyun.released.set()

            for client in clients:
                client.join(60)
            assert server.wait(60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()

        assert all(isinstance(r, httpx.Response) for r in replies), replies
        assert sorted(r.status_code for r in replies) == [200] * IN_FLIGHT  # type: ignore[union-attr]
        sent = [r.json() for r in replies]  # type: ignore[union-attr]
        assert all(result["ok"] for result in sent)
        assert len(aliyun.phones()) == IN_FLIGHT
        for result in sent:
            records = store.log_query(message_id=result["message_id"])
            assert {r.status for r in records} == {"accepted"}, records
            assert store.get(f"owner:{result['message_id']}") == "acme"
        store.close()


def test_a_caller_that_hangs_up_mid_send_does_not_lose_the_record(tmp_path):
    from smsgate._config import Config
    from smsgate.server import create_app

    from .conftest import Served

    with serve(HeldAliyun()) as aliyun:
        store = SQLiteStore(tmp_path / "service.sqlite3")
        token = ApiKeys(store).create("acme", ["send"]).token
        app = create_app(Config(providers={"aliyun": aliyun.settings()}), store=store)
        with Served(app) as served:
            body = json.dumps({"to": ["13800138000"], "template": "SMS_1"}).encode()
            head = (
                f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            with socket.create_connection(("127.0.0.1", served.port)) as caller:
                caller.sendall(head + body)
                _until(lambda: aliyun.arrived == 1, "the send to reach the provider")
            aliyun.released.set()  # the caller is gone; the send goes on

            def recorded() -> bool:
                messages = [r for r in store.log_query() if r.kind == "message"]
                return (
                    len(messages) == 1
                    and messages[0].status == "accepted"
                    and bool(store.get(f"owner:{messages[0].message_id}"))
                )

            _until(recorded, "the send to be recorded")
        assert len(aliyun.phones()) == 1
        store.close()
