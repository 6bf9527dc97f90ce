"""A bulk send killed with SIGKILL midway: every request that reached the server is in the send log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from smsgate.stores import SQLiteStore, Store
from tests.fakes.server import FakeServer, Received
from tests.fakes.tencent import TencentFake

ROOT = Path(__file__).resolve().parents[1]
COUNT = 120


@pytest.mark.parametrize("kind", ["sqlite", "sqlite-process", "postgres"])
def test_sigkill_mid_bulk_send_loses_no_record(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    fake = TencentFake()

    async def slow(request: Received) -> web.Response:
        import asyncio

        await asyncio.sleep(0.02)  # slow enough that the kill lands mid-send
        return await fake.handle(request)

    log = str(tmp_path / "sends.db") if kind != "postgres" else request.getfixturevalue("postgres_dsn")
    with FakeServer(slow) as server:
        fake.server = server
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fixtures.bulk_worker",
                json.dumps(fake.settings()),
                log,
                str(COUNT),
                "process" if kind == "sqlite-process" else "machine",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while len(server.requests) < 20 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.005)
        os.kill(worker.pid, signal.SIGKILL)
        _, err = worker.communicate(timeout=10)
        assert worker.returncode == -signal.SIGKILL, err.decode()
        time.sleep(0.1)  # let requests already on the wire land
        received = [p for r in server.requests for p in r.json()["PhoneNumberSet"]]

    assert 20 <= len(received) < COUNT  # killed midway
    store: Store
    if kind != "postgres":
        store = SQLiteStore(log)
    else:
        from smsgate.stores.postgres import PostgresStore

        store = PostgresStore(log)
    attempts = [r for r in store.log_query(limit=10_000) if r.kind == "attempt"]
    logged = {phone for r in attempts for phone in r.phones}
    assert set(received) <= logged  # every request that left was recorded first
    statuses = {r.status for r in attempts}
    assert statuses <= {"pending", "accepted"} and "accepted" in statuses
    messages = [r for r in store.log_query(limit=10_000) if r.kind == "message"]
    assert [m.status for m in messages] == ["pending"]  # the message never finished
    found = {r.message_id for r in store.log_query(phone=received[-1])}  # found by phone too
    assert found == {messages[0].id}
    store.close()
