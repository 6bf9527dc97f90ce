"""The send flow's own CPU a send, with no network: the bare gateway against the send log and every
policy on ``MemoryStore`` (records kept for free), so only smsgate's Python is measured.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/flow_overhead.py [--messages 3000] [--rounds 5] [--modes sync,async]

Aliyun's SendSms answered by a canned transport (a fresh ``HttpResponse`` each time, so its JSON is
parsed every time as over HTTP), sequential sends (async: one ``await`` after another, so the
event loop adds little). Layers as in ``store_overhead.py``: ``bare`` (the straight path), ``log``
(``send_log`` in memory) and ``all`` (idempotency key, limits, provider rate, breaker, lists and the
send log, all in memory). Each round runs every layer in turn; the table gives each layer's least
CPU µs a send over the rounds (this process's CPU, the least disturbed by other load), the µs
above ``bare``, and ``bare``'s CPU over the layer's: the ratio the layer's rate would have to the
bare gateway's if the HTTP client cost nothing. ``store_overhead.py`` measures it with HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from aliyun_throughput import AK, OK_JSON, SECRET, SIGN, phones
from reliability_overhead import options
from store_overhead import message

from smsgate import AsyncGateway, Gateway, MemoryStore
from smsgate._http import HttpRequest, HttpResponse
from smsgate.transports.base import AsyncTransport, Transport

BODY = OK_JSON.encode()
HEADERS = {"content-type": "application/json;charset=utf-8"}


class Canned(Transport, AsyncTransport):
    """Answers every request with Aliyun's OK, at once."""

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, HEADERS, BODY)

    async def handle_async_request(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, HEADERS, BODY)


def layer_options(layer: str) -> dict[str, Any]:
    if layer == "bare":
        return {}
    return {"send_log": MemoryStore()} if layer == "log" else options(MemoryStore(), "aliyun")


SETTINGS = {"aliyun": {"access_key_id": AK, "access_key_secret": SECRET, "sign_name": SIGN, "endpoint": "127.0.0.1:9"}}


def run_sync(layer: str, count: int) -> float:
    keyed = layer == "all"
    with Gateway(SETTINGS, transport=Canned(), **layer_options(layer)) as gateway:
        for phone in phones(200):
            gateway.send(message(phone, keyed))
        messages = [message(phone, keyed) for phone in phones(count)]
        gc.collect()
        cpu = time.process_time()
        for m in messages:
            gateway.send(m)
        return (time.process_time() - cpu) / count * 1e6


def run_async(layer: str, count: int) -> float:
    async def main() -> float:
        keyed = layer == "all"
        async with AsyncGateway(SETTINGS, transport=Canned(), **layer_options(layer)) as gateway:
            for phone in phones(200):
                await gateway.send(message(phone, keyed))
            messages = [message(phone, keyed) for phone in phones(count)]
            gc.collect()
            cpu = time.process_time()
            for m in messages:
                await gateway.send(m)
            return (time.process_time() - cpu) / count * 1e6

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modes", default="sync,async")
    args = parser.parse_args()
    runs = {"sync": run_sync, "async": run_async}
    modes = [m for m in args.modes.split(",") if m]
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.rounds):
        for mode in modes:
            for layer in ("bare", "log", "all"):
                cpu = runs[mode](layer, args.messages)
                best[mode, layer] = min(cpu, best.get((mode, layer), cpu))
    print(f"{'mode':<7}{'layer':<6}{'cpu µs/send':>12}{'above bare':>12}{'bare/layer':>12}")
    for mode in modes:
        bare = best[mode, "bare"]
        for layer in ("bare", "log", "all"):
            cpu = best[mode, layer]
            print(f"{mode:<7}{layer:<6}{cpu:>12.1f}{cpu - bare:>12.1f}{bare / cpu:>12.2f}")


if __name__ == "__main__":
    main()
