"""The dashboard's pages against the API they render: ``GET /ui/messages`` vs ``GET /v1/messages``.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/dashboard_pages.py [--messages 2000] [--requests 200] [--runs 3]

One service (uvicorn in this process's thread, a free loopback port, an SQLite store) holds
``--messages`` messages of one tenant, sent through the memory provider. Then, interleaved per run,
one client each asks ``--requests`` times for the newest 50: as JSON from the API (the baseline, an
API key) and as the dashboard's HTML page (a session cookie), for the providers page (health
over the last 200 messages and the charts), the verifications page (``--verifications`` started in
three purposes, counted over 24 hours) and the campaigns page (``--campaigns`` of 20 rows each).
Prints requests per second and p50/p95 latency of each, and the ratios page / API.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server.conftest import Served  # the tests' uvicorn runner
from smsgate._config import Config
from smsgate.server import ApiKeys, create_app
from smsgate.stores.sqlite import SQLiteStore


def timed(client: httpx.Client, path: str, requests: int, **kwargs: object) -> tuple[float, list[float]]:
    latencies = []
    start = time.perf_counter()
    for _ in range(requests):
        began = time.perf_counter()
        answer = client.get(path, **kwargs)  # type: ignore[arg-type]
        assert answer.status_code == 200, answer.status_code
        latencies.append(time.perf_counter() - began)
    return requests / (time.perf_counter() - start), latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verifications", type=int, default=300)
    parser.add_argument("--campaigns", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("SMSGATE_VERIFY_KEYS", "bench:" + "k" * 40)
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "service.sqlite3")
        keys = ApiKeys(store)
        token = keys.create("acme", ["admin"]).token
        app = create_app(Config(providers={"memory": {}}), store=store, key_cache_ttl=60)
        with Served(app) as served, httpx.Client(base_url=served.url, timeout=60) as client:
            auth = {"Authorization": f"Bearer {token}"}
            for n in range(args.messages):
                body = {"to": [f"+1415555{n % 10000:04d}"], "text": "hello ${name}", "params": {"name": f"n{n}"}}
                assert client.post("/v1/messages", json=body, headers=auth).status_code == 200
            for n in range(args.verifications):
                body = {
                    "to": f"+1415666{n % 10000:04d}",
                    "text": "${code}",
                    "purpose": ("login", "signup", "reset")[n % 3],
                    "client": f"c{n}",
                }
                assert client.post("/v1/verifications", json=body, headers=auth).status_code == 201
            rows = ("phone\n" + "".join(f"+1415777{n:04d}\n" for n in range(20))).encode()
            for _ in range(args.campaigns):
                made = client.post("/v1/campaigns", files={"file": ("r.csv", rows)}, data={"text": "Hi"}, headers=auth)
                assert made.status_code == 202
            form = client.get("/ui/login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            assert client.post("/ui/login", data={"key": token, "csrf": csrf}).status_code == 303
            pages = {
                "page": "/ui/messages",
                "providers": "/ui/providers",
                "verifications": "/ui/verifications",
                "campaigns": "/ui/campaigns",
            }
            results: dict[str, list[tuple[float, list[float]]]] = {"api": [], **{name: [] for name in pages}}
            for run in range(1, args.runs + 1):
                results["api"].append(timed(client, "/v1/messages?limit=50", args.requests, headers=auth))
                for name, path in pages.items():
                    results[name].append(timed(client, path, args.requests))
                line = []
                for name, got in results.items():
                    rate, lat = got[-1]
                    p50, p95 = (statistics.quantiles(lat, n=100)[p - 1] * 1000 for p in (50, 95))
                    line.append(f"{name} {rate:7.1f}/s p50 {p50:6.1f} ms p95 {p95:6.1f} ms")
                ratios = " ".join(f"{name}/api {results[name][-1][0] / results['api'][-1][0]:.2f}" for name in pages)
                print(f"run {run}: " + " | ".join(line) + f" | {ratios}")
        store.close()


if __name__ == "__main__":
    main()
