"""``smsgate serve --workers 2``: ``/metrics`` reports every worker's counts, whichever answers,
and the run's metrics directory is gone after the server stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from smsgate.emulators import serve
from smsgate.emulators.aliyun import AliyunFake
from smsgate.server import ApiKeys
from smsgate.stores.sqlite import SQLiteStore
from tests.fixtures.redis import free_port
from tests.server.test_shutdown import _config, _healthy, _until

SENT = 24


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text  # a fresh connection: any worker may answer
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_cover_every_worker_and_their_directory_is_removed(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with serve(AliyunFake()) as aliyun:
        config = _config(tmp_path, aliyun.settings())
        store = SQLiteStore(tmp_path / "service.sqlite3")
        token = ApiKeys(store).create("acme", ["send", "read"]).token
        store.close()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [str(Path(sys.executable).parent / "smsgate"), "serve", "--config", str(config)]
        env = {**os.environ, "TMPDIR": str(scratch), "SMSGATE_TRANSPORT": "aiohttp"}
        server = subprocess.Popen([*command, "--port", str(port), "--workers", "2"], cwd=tmp_path, env=env)
        try:
            _until(lambda: _healthy(url) or server.poll() is not None, "the server to start", 60)
            assert server.poll() is None, "smsgate serve exited"
            assert [p.name.startswith("smsgate-metrics-") for p in scratch.iterdir()] == [True]
            _until(lambda: _samples(url).get(("smsgate_workers", ())) == 2, "both workers to serve", 60)
            for n in range(SENT):  # each on a new connection, so both workers take some
                body = {"to": [f"138{n:08d}"], "template": "SMS_1", "params": {"code": str(n)}}
                reply = httpx.post(f"{url}/v1/messages", json=body, headers={"Authorization": f"Bearer {token}"})
                assert reply.status_code == 200 and reply.json()["ok"], reply.text
            for _ in range(10):
                samples = _samples(url)
                assert samples[("smsgate_recipients_total", (("status", "accepted"),))] == SENT
                assert samples[("smsgate_attempts_total", (("provider", "aliyun"), ("status", "accepted")))] == SENT
                route = (("method", "POST"), ("route", "/v1/messages"), ("status", "200"))
                assert samples[("smsgate_http_requests_total", route)] == SENT
                assert samples[("smsgate_workers", ())] == 2
            server.send_signal(signal.SIGTERM)
            assert server.wait(60) in (0, -signal.SIGTERM)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
    assert list(scratch.iterdir()) == []
    assert len(aliyun.phones()) == SENT
