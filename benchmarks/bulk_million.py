"""A million recipients through ``send_many`` to nginx standing in for Aliyun, against the same
work chunked by hand (the floor).

Run by hand (never as a test), with the ``test`` extra installed::

    .venv/bin/python benchmarks/bulk_million.py [--counts 100000,300000,1000000] [--rounds 3]
        [--send-log] [--sync] [--params same|distinct] [--only send_many,chunked] [--in-flight 16]

Each run is a child process (so its peak RSS is its own, from ``getrusage``) against one nginx on
127.0.0.1 (started as ``aliyun_throughput.py`` does). The clients, interleaved in rounds:

* ``send_many``: a generator of one-recipient messages (``--params same``: one template param for
  all, grouped into SendSms of 1,000; ``distinct``: a param per recipient, grouped into
  SendBatchSms of 100), every ``Sent`` read and checked as it comes;
* ``chunked``: the floor: the same phones cut by hand into messages of 1,000 (or 100) recipients,
  sent with ``send``, 16 in flight;
* ``send_many_chunked`` (with ``--only``): those hand-cut messages through ``send_many``: its own
  cost without a million ``Message`` objects to build, hold and group.

``--send-log`` gives both an SQLite send log in a temporary directory; ``--in-flight`` sets the
sends in flight (the gateway's ``concurrency``, the floor's workers; a list such as ``4,16,64``
runs each, to show whether concurrency bounds a run). The table shows each client's best time,
the worst peak RSS, CPU µs per recipient and wall / CPU (near 1: the client's one thread is busy
all along), and the ratios send_many / chunked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from aliyun_throughput import nginx, smsgate_settings

TEMPLATE = "SMS_154950909"


def numbers(count: int) -> Iterator[str]:
    """``count`` distinct valid mainland mobiles, made as they are read."""
    return (f"13{5 + n // 10**8 % 5}{n * 7919 % 10**8:08d}" for n in range(count))


def gateway_options(send_log: str | None, in_flight: int) -> dict[str, Any]:
    return {"concurrency": in_flight, **({"send_log": send_log} if send_log else {})}


def child(
    client: str, count: int, port: int, send_log: str | None, sync: bool, distinct: bool, in_flight: int
) -> dict[str, Any]:
    from smsgate import AsyncGateway, Gateway, Message

    def params(n: int) -> dict[str, str]:
        return {"code": f"{n % 1_000_000:06d}"} if distinct else {"code": "1234"}

    def messages() -> Iterator[Message]:
        for n, phone in enumerate(numbers(count)):
            yield Message(phone, template=TEMPLATE, params=params(n))

    size = 100 if distinct else 1000

    def chunks() -> Iterator[Message]:
        phones: list[str] = []
        per: dict[str, dict[str, str]] = {}
        for n, phone in enumerate(numbers(count)):
            phones.append(phone)
            if distinct:
                per[phone] = params(n)
            if len(phones) == size:
                yield Message(phones, template=TEMPLATE, params={} if distinct else params(0), recipient_params=per)
                phones, per = [], {}
        if phones:
            yield Message(phones, template=TEMPLATE, params={} if distinct else params(0), recipient_params=per)

    accepted = 0
    settings = {"aliyun": smsgate_settings(port)}
    started, cpu = time.perf_counter(), time.process_time()
    if sync:
        with Gateway(settings, **gateway_options(send_log, in_flight)) as gateway:
            if client.startswith("send_many"):
                source = messages() if client == "send_many" else chunks()
                for sent in gateway.send_many(source):
                    accepted += len(sent.result.recipients) if sent.ok and sent.result else 0
            else:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(in_flight) as pool:
                    for result in pool.map(gateway.send, chunks()):
                        accepted += len(result.accepted)
    else:

        async def main() -> int:
            done = 0
            async with AsyncGateway(settings, **gateway_options(send_log, in_flight)) as gateway:
                if client.startswith("send_many"):
                    async for sent in gateway.send_many(messages() if client == "send_many" else chunks()):
                        done += len(sent.result.recipients) if sent.ok and sent.result else 0
                else:
                    source = chunks()

                    async def worker() -> int:
                        return sum([len((await gateway.send(m)).accepted) for m in source])

                    done = sum(await asyncio.gather(*(worker() for _ in range(in_flight))))
            return done

        accepted = asyncio.run(main())
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "cpu": cpu, "rss_mb": rss, "accepted": accepted}


def run(client: str, count: int, port: int, in_flight: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="smsgate-bulk-") as tmp:
        argv = [sys.executable, __file__, "--child", client, "--port", str(port), "--counts", str(count)]
        argv += ["--in-flight", str(in_flight)]
        argv += ["--params", args.params] + (["--sync"] if args.sync else [])
        argv += ["--send-log-path", str(Path(tmp, "log.sqlite3"))] if args.send_log else []
        out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600)
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["accepted"] != count:
        raise SystemExit(f"{client} {count}: {result['accepted']} accepted, not {count}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="100000,300000,1000000", help="recipients per run, comma-separated")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; each client's best time counts")
    parser.add_argument("--send-log", action="store_true", help="an SQLite send log for both clients")
    parser.add_argument("--sync", action="store_true", help="Gateway (threads) instead of AsyncGateway")
    parser.add_argument("--params", choices=("same", "distinct"), default="same")
    parser.add_argument("--only", default="send_many,chunked", help="clients to run, comma-separated")
    parser.add_argument("--in-flight", default="16", help="sends in flight, comma-separated to run several")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--send-log-path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.counts.split(",")]
    if args.child:
        distinct = args.params == "distinct"
        in_flight = int(args.in_flight)
        print(json.dumps(child(args.child, counts[0], args.port, args.send_log_path, args.sync, distinct, in_flight)))
        return 0
    widths = [int(w) for w in args.in_flight.split(",")]
    clients = [c if len(widths) == 1 else f"{c}@{w}" for c in args.only.split(",") for w in widths]
    best: dict[tuple[str, int], dict[str, Any]] = {}
    with nginx() as port:
        for round_ in range(args.rounds):
            for count in counts:
                for client in clients:
                    name, _, width = client.partition("@")
                    got = run(name, count, port, int(width or widths[0]), args)
                    key = (client, count)
                    old = best.get(key)
                    rss = max(got["rss_mb"], old["rss_mb"]) if old else got["rss_mb"]
                    if old is None or got["seconds"] < old["seconds"]:
                        best[key] = got
                    best[key]["rss_mb"] = rss
                    cpu = got["cpu"] / count * 1e6
                    print(f"  round {round_ + 1}: {client:<10} {count:>9,}  {got['seconds']:6.2f} s"
                          f"  {cpu:6.2f} µs CPU  {got['rss_mb']:6.0f} MB", file=sys.stderr)  # fmt: skip
    report(best, clients, counts, args)
    return 0


def report(best: dict[tuple[str, int], dict[str, Any]], clients: list[str], counts: list[int], args: Any) -> None:
    kind = "Gateway (threads)" if args.sync else "AsyncGateway"
    log = ", SQLite send log" if args.send_log else ""
    print(f"\n{kind}, params {args.params}{log}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}\n")
    print("| client | recipients | best s | peak RSS MB | CPU µs/recipient | wall / CPU |")
    print("|---|---:|---:|---:|---:|---:|")
    for (client, count), r in sorted(best.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu, busy = r["cpu"] / count * 1e6, r["seconds"] / r["cpu"]
        print(f"| {client} | {count:,} | {r['seconds']:.2f} | {r['rss_mb']:.0f} | {cpu:.2f} | {busy:.2f} |")
    if "chunked" in args.only:  # each client against the floor at its own width
        print("\n| client / chunked | recipients | time | CPU | peak RSS |\n|---|---:|---:|---:|---:|")
        for client in (c for c in clients if c.partition("@")[0] != "chunked"):
            floor = "chunked" + client.partition("@")[1] + client.partition("@")[2]
            for count in counts:
                a, b = best[(client, count)], best[(floor, count)]
                times, cpu, rss = a["seconds"] / b["seconds"], a["cpu"] / b["cpu"], a["rss_mb"] / b["rss_mb"]
                print(f"| {client} | {count:,} | {times:.2f}× | {cpu:.2f}× | {rss:.2f}× |")
    if "send_many" in clients and len(counts) > 1:
        rss = [best[("send_many", c)]["rss_mb"] for c in counts]
        print(f"\nsend_many peak RSS across counts: {min(rss):.0f}–{max(rss):.0f} MB ({max(rss) / min(rss) - 1:+.0%})")


if __name__ == "__main__":
    raise SystemExit(main())
