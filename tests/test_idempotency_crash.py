"""An idempotency key outlives a crash: killed after its request left, a retry in a new process
answers *unknown* from the send log and sends nothing (SQLite, PostgreSQL, Redis)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from smsgate import Gateway, InvalidRequest, Message
from tests.fakes.server import FakeServer
from tests.fakes.tencent import TencentFake
from tests.fixtures.keyed_worker import PHONE, open_store
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parents[1]


def worker(settings: dict[str, object], log: str, key: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.keyed_worker", json.dumps(settings), log, key, "0.5"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "redis"])
def test_a_key_killed_mid_request_answers_unknown(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    log = {
        "sqlite": lambda: str(tmp_path / "state.db"),
        "postgres": lambda: str(request.getfixturevalue("postgres_dsn")),
        "redis": lambda: str(request.getfixturevalue("redis_url")),
    }[kind]()
    fake = TencentFake()
    with FakeServer(fake.handle) as server:
        fake.server = server
        settings = fake.settings()
        server.fail_next(status=200, delay=60)  # the first request arrives and is never answered
        first = worker(settings, log, "order-1")
        wait_until(lambda: len(server.requests) == 1 or first.poll() is not None, timeout=30, what="the request")
        os.kill(first.pid, signal.SIGKILL)
        _, err = first.communicate(timeout=10)
        assert first.returncode == -signal.SIGKILL, err.decode()

        retry = worker(settings, log, "order-1")
        out, err = retry.communicate(timeout=60)
        assert retry.returncode == 0, err.decode()
        answer = json.loads(out)
        assert answer["replayed"] and [r["status"] for r in answer["recipients"]] == ["unknown"]
        assert [r["phone"] for r in answer["recipients"]] == [PHONE]
        assert len(server.requests) == 1  # never resent

        store = open_store(log)
        try:
            [message] = [r for r in store.log_query(phone=PHONE) if r.kind == "message"]
            assert message.status == "pending" and answer["message_id"] == message.message_id
            other = Message(to=PHONE, template="1001", params={"code": "1"}, idempotency_key="order-1")
            gateway = Gateway({"tencent": settings}, store=store, send_log=store)
            with gateway, pytest.raises(InvalidRequest) as info:  # same key, another message
                gateway.send(other)
            assert info.value.field == "idempotency_key"
            assert len(server.requests) == 1
        finally:
            store.close()
