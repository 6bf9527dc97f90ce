"""The HTTP service against the library it fronts: ``POST /v1/messages`` vs ``AsyncGateway.send``.

Run by hand (never as a test), after ``scripts/bench`` installed nginx and wrk::

    .venv/bin/python benchmarks/service_throughput.py [--messages 4000] [--runs 3]

Both send one-recipient Aliyun SendSms requests to nginx standing in for Aliyun (started here, as
in ``aliyun_throughput.py``) with an SQLite send log (a fresh file each, every write fsynced).
On two or more CPUs the measured side has the first CPU to itself and the load (wrk or the
library's own calls) and nginx share the last, so the load generator never takes the server's CPU:

* **service**: ``smsgate serve --workers 1`` (uvicorn, started here on a free loopback port, pinned
  to the first CPU) with a config naming that nginx and that log; ``wrk`` (pinned to the last CPU)
  keeps 64 keep-alive connections busy with ``benchmarks/service_post.lua``, one fresh phone per
  request, one API key: each call is authenticated, validated, sent, logged and owned by its
  tenant. Afterwards the send log must hold a message for every request answered.
* **library**: ``AsyncGateway`` in this process, pinned to the first CPU while it runs, with the
  same provider settings and the same kind of store, 64 sends in flight.

Prints messages per second for each, the ratio service / library, the CPU each spends per
message (the server process's own CPU time; the library process's, calls included), and the
service's latency percentiles at a fixed 200 requests a second (open loop from the last CPU:
each request is timed from when it was due, so a stall is not hidden). Runs are interleaved.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from aliyun_throughput import IN_FLIGHT, TEMPLATE, free_port, nginx, phones, smsgate_settings, timed

from smsgate import AsyncGateway, Message, SQLiteStore
from smsgate.server import ApiKeys

SMSGATE = str(Path(sys.executable).parent / "smsgate")
LUA = str(Path(__file__).with_name("service_post.lua"))
CPUS = sorted(os.sched_getaffinity(0))
SERVER_CPU, LOAD_CPU = CPUS[0], CPUS[-1]


def taskset(cpu: int) -> list[str]:
    found = shutil.which("taskset")
    return [found, "-c", str(cpu)] if found and len(CPUS) > 1 else []


@contextmanager
def pinned(cpu: int) -> Iterator[None]:
    """This process (every thread started meanwhile too) on ``cpu`` while the block runs."""
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, CPUS)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    proc = subprocess.Popen([*taskset(SERVER_CPU), *command], cwd=tmp, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60  # a loaded machine imports FastAPI slowly
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port, token
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"smsgate serve did not start on port {port}") from None
            time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wrk(port: int, token: str, seconds: float, first_phone: int) -> int:
    """Requests answered 200 in ``seconds`` of wrk at 64 connections; raises on any other answer."""
    env = {**os.environ, "SMSGATE_TOKEN": token, "SMSGATE_TEMPLATE": TEMPLATE, "SMSGATE_FIRST_PHONE": str(first_phone)}
    command = [*taskset(LOAD_CPU), "wrk", "-t1", f"-c{IN_FLIGHT}", f"-d{seconds:g}s", "-s", LUA]
    out = subprocess.run([*command, f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True, check=True)
    done = re.search(r"(\d+) requests in", out.stdout)
    if done is None or "Non-2xx" in out.stdout or re.search(r"Socket errors: .*(read|write) [1-9]", out.stdout):
        raise RuntimeError(f"wrk saw failures:\n{out.stdout}")
    return int(done.group(1))


def logged_messages(log: Path) -> int:
    with sqlite3.connect(log) as db:
        return int(db.execute("SELECT count(*) FROM log WHERE kind = 'message'").fetchone()[0])


def bench_service(tmp: Path, nginx_port: int, seconds: float, run: int) -> tuple[float, float]:
    """(messages a second, server CPU µs a message), checking every answered request was logged."""
    proc, port, token = start_service(tmp, nginx_port)
    try:
        warm = wrk(port, token, 1, 90_000_000)
        before, start = cpu_seconds(proc.pid), time.perf_counter()
        answered = wrk(port, token, seconds, run * 2_000_000)
        elapsed, cpu = time.perf_counter() - start, cpu_seconds(proc.pid) - before
    finally:
        stop(proc)
    logged = logged_messages(tmp / "service.sqlite3")
    if logged < warm + answered:
        raise RuntimeError(f"{warm + answered} requests answered but {logged} messages logged")
    return answered / elapsed, cpu / answered * 1e6


def bench_library(nginx_port: int, tmp: Path, numbers: list[str]) -> tuple[float, float]:
    """(messages a second, CPU µs a message) of ``AsyncGateway`` on the server's CPU."""

    async def main() -> tuple[float, float]:
        store = SQLiteStore(tmp / "library.sqlite3")
        async with AsyncGateway(
            {"aliyun": smsgate_settings(nginx_port)}, concurrency=IN_FLIGHT, store=store, send_log=store
        ) as gateway:

            async def one(phone: str) -> None:
                result = await gateway.send(Message(to=phone, template=TEMPLATE, params={"code": "1234"}))
                assert result.ok

            cpu = time.process_time()
            elapsed = await timed(numbers, one)
            cpu = time.process_time() - cpu
        store.close()
        return len(numbers) / elapsed, cpu / (len(numbers) + IN_FLIGHT * 4) * 1e6

    with pinned(SERVER_CPU):
        return asyncio.run(main())


def latency_at(tmp: Path, nginx_port: int, rate: float, seconds: float) -> tuple[float, float, float]:
    """(p50, p99, max) in ms of ``rate`` requests a second for ``seconds``, each timed from when it was due."""
    from pyreqwest.client import ClientBuilder

    async def main(port: int, token: str) -> list[float]:
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

    tmp.mkdir()
    proc, port, token = start_service(tmp, nginx_port)
    try:
        with pinned(LOAD_CPU):
            took = asyncio.run(main(port, token))
    finally:
        stop(proc)
    return took[len(took) // 2] * 1000, took[int(len(took) * 0.99)] * 1000, took[-1] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000, help="library sends per run; wrk runs for this/1000 s")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="0 skips the latency measurement")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: run scripts/bench service_throughput (it installs nginx and wrk)", file=sys.stderr)
        return 2
    try:  # uvicorn runs the service on uvloop when it is installed: the library gets the same loop
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    seconds = max(3.0, args.messages / 1000)
    print(f"uptime: {os.getloadavg()[0]:.2f} (1 min load); {len(CPUS)} CPUs: server {SERVER_CPU}, load {LOAD_CPU}")
    with nginx() as nginx_port:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="smsgate-service-bench-") as name:
                tmp = Path(name)
                service, service_cpu = bench_service(tmp, nginx_port, seconds, run)
                library, library_cpu = bench_library(nginx_port, tmp, phones(args.messages))
                line = (
                    f"run {run}: service {service:,.0f} msg/s ({service_cpu:.0f} µs CPU/msg), "
                    f"AsyncGateway {library:,.0f} msg/s ({library_cpu:.0f} µs CPU/msg), ratio {service / library:.2f}x"
                )
                print(f"{line}  (load {os.getloadavg()[0]:.2f})", flush=True)
                if args.latency_seconds > 0:
                    p50, p99, worst = latency_at(tmp / "latency", nginx_port, 200.0, args.latency_seconds)
                    print(f"run {run}: at 200 msg/s p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {worst:.1f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
