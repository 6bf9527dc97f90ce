"""The HTTP service against the library it fronts: ``POST /v1/messages`` vs ``AsyncGateway.send``.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/service_throughput.py [--messages 6000] [--runs 3]

Both send one-recipient Aliyun SendSms requests to nginx standing in for Aliyun (started here, as
in ``aliyun_throughput.py``) with an SQLite send log (a fresh file each, every write fsynced):

* **service**: ``smsgate serve --workers 1`` (uvicorn, started here on a free loopback port) with a
  config naming that nginx and that log, called by a pyreqwest client over 64 keep-alive connections
  with one API key: each call is authenticated, validated, sent, logged and owned by its tenant;
* **library**: ``AsyncGateway`` in this process with the same provider settings and the same kind
  of store, 64 sends in flight.

Both run on uvloop when it is installed (uvicorn picks it), on asyncio otherwise. Prints messages
per second for each, the ratio service / library, and the service's latency
percentiles at a fixed 200 requests a second (open loop: each request is timed from when it was
due, so a stall is not hidden). Runs are interleaved; each is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from aliyun_throughput import IN_FLIGHT, TEMPLATE, free_port, nginx, phones, smsgate_settings, timed, wait_for_port

from smsgate import AsyncGateway, Message, SQLiteStore
from smsgate.server import ApiKeys

SMSGATE = str(Path(sys.executable).parent / "smsgate")


def start_service(tmp: Path, nginx_port: int) -> tuple[subprocess.Popen[bytes], int, str]:
    log = tmp / "service.sqlite3"
    lines = [f"send_log = {json.dumps(str(log))}", "[providers.aliyun]"]
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in smsgate_settings(nginx_port).items()]
    (tmp / "smsgate.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    store = SQLiteStore(log)
    token = ApiKeys(store).create("bench", ["send", "read"]).token
    store.close()
    port = free_port()
    command = [SMSGATE, "serve", "--config", str(tmp / "smsgate.toml"), "--port", str(port), "--workers", "1"]
    proc = subprocess.Popen(command, cwd=tmp, stderr=subprocess.DEVNULL)
    wait_for_port(proc, port, "smsgate serve")
    return proc, port, token


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bench_service(port: int, token: str, numbers: list[str]) -> float:
    from pyreqwest.client import ClientBuilder

    async def main() -> float:
        url = f"http://127.0.0.1:{port}/v1/messages"
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        async with ClientBuilder().max_connections(IN_FLIGHT).no_proxy().build() as client:

            async def one(phone: str) -> None:
                body = json.dumps({"to": [phone], "template": TEMPLATE, "params": {"code": "1234"}}).encode()
                response = await client.post(url).headers(headers).body_bytes(body).build().send()
                result = json.loads((await response.bytes()).to_bytes())
                assert response.status == 200 and result["ok"], result

            return await timed(numbers, one)

    return asyncio.run(main())


def bench_library(nginx_port: int, tmp: Path, numbers: list[str]) -> float:
    async def main() -> float:
        store = SQLiteStore(tmp / "library.sqlite3")
        async with AsyncGateway(
            {"aliyun": smsgate_settings(nginx_port)}, concurrency=IN_FLIGHT, store=store, send_log=store
        ) as gateway:

            async def one(phone: str) -> None:
                result = await gateway.send(Message(to=phone, template=TEMPLATE, params={"code": "1234"}))
                assert result.ok

            elapsed = await timed(numbers, one)
        store.close()
        return elapsed

    return asyncio.run(main())


def latency_at(port: int, token: str, rate: float, seconds: float) -> tuple[float, float, float]:
    """(p50, p99, max) in ms of ``rate`` requests a second for ``seconds``, each timed from when it was due."""
    from pyreqwest.client import ClientBuilder

    async def main() -> list[float]:
        url = f"http://127.0.0.1:{port}/v1/messages"
        headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        numbers = phones(int(rate * seconds))
        took: list[float] = []
        async with ClientBuilder().max_connections(IN_FLIGHT).no_proxy().build() as client:

            async def one(phone: str, due: float) -> None:
                body = json.dumps({"to": [phone], "template": TEMPLATE}).encode()
                response = await client.post(url).headers(headers).body_bytes(body).build().send()
                await response.bytes()
                assert response.status == 200
                took.append(time.perf_counter() - due)

            start = time.perf_counter() + 0.1
            tasks = []
            for i, phone in enumerate(numbers):
                due = start + i / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.ensure_future(one(phone, due)))
            await asyncio.gather(*tasks)
        return sorted(took)

    took = asyncio.run(main())
    return took[len(took) // 2] * 1000, took[int(len(took) * 0.99)] * 1000, took[-1] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=6000, help="messages per measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    try:  # uvicorn runs the service on uvloop when it is installed: the library gets the same loop
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min); {os.cpu_count()} CPUs", file=sys.stderr)
    with nginx() as nginx_port:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="smsgate-service-bench-") as name:
                tmp = Path(name)
                proc, port, token = start_service(tmp, nginx_port)
                try:
                    service = args.messages / bench_service(port, token, phones(args.messages))
                    library = args.messages / bench_library(nginx_port, tmp, phones(args.messages))
                    p50, p99, worst = latency_at(port, token, 200.0, args.latency_seconds)
                finally:
                    stop(proc)
            print(
                f"run {run}: service {service:,.0f} msg/s, AsyncGateway {library:,.0f} msg/s, "
                f"ratio {service / library:.2f}x; at 200 msg/s p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms"
                f"  (load {os.getloadavg()[0]:.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
