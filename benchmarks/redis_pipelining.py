"""What the Redis store costs a send, per message: throughput, client CPU, redis-server CPU, round trips.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/redis_pipelining.py [--messages 3000] [--rounds 3] [--modes async,sync]

Aliyun over loopback HTTP against nginx (as ``store_overhead.py``), async with 64 sends in flight
and sync sequential. Each round runs, in turn and under the same load: the bare gateway, the
``MemoryStore`` (what the send flow itself costs, no I/O) and ``RedisStore`` (a local
``redis-server``), each with the send log alone (``log``) and with every policy (``all``). Per
run it prints messages a second, the ratio to the bare gateway, this process's CPU a message
(user + system, all threads: less sensitive to the machine's load than the rate), redis-server's
CPU a message and Redis round trips a message (pipelines sent; shown for the pipelined store).
``--before <commit>`` adds ``RedisStore`` as it was at that commit (its ``stores/redis.py`` and
``stores/_redis_*.py``, read with ``git show``) as a named baseline in the same rounds, e.g.
``--before fd22c27`` for the store before pipelining. The closing table gives each ratio's min–max over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import at_commit
from aliyun_throughput import IN_FLIGHT, nginx, phones, run_concurrently, smsgate_settings
from reliability_overhead import redis_server
from store_overhead import layer_options, message

from smsgate import AsyncGateway, Gateway, MemoryStore, Store
from smsgate.stores.redis import RedisStore

Run = tuple[float, float, int]  # seconds, CPU seconds of this process, pipelines sent
WARM_UP = {"async": IN_FLIGHT * 4, "sync": 50}  # messages sent before the timed ones


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_async(port: int, layer: str, store: Store | None, count: int) -> Run:
    async def main() -> Run:
        keyed = layer == "all"
        options = layer_options(layer, store)
        async with AsyncGateway({"aliyun": smsgate_settings(port)}, concurrency=IN_FLIGHT, **options) as gateway:

            async def one(phone: str) -> None:
                result = await gateway.send(message(phone, keyed))
                assert result.ok, result.errors

            await run_concurrently(phones(IN_FLIGHT * 4), one)
            numbers = phones(count)
            start, used = time.perf_counter(), cpu()
            await run_concurrently(numbers, one)
            elapsed, used = time.perf_counter() - start, cpu() - used
        trips = round_trips(store)
        if store is not None:
            await store.aclose()
        return elapsed, used, trips

    return asyncio.run(main())


def run_sync(port: int, layer: str, store: Store | None, count: int) -> Run:
    keyed = layer == "all"
    with Gateway({"aliyun": smsgate_settings(port)}, **layer_options(layer, store)) as gateway:
        for phone in phones(50):
            gateway.send(message(phone, keyed))
        numbers = phones(count)
        start, used = time.perf_counter(), cpu()
        for phone in numbers:
            assert gateway.send(message(phone, keyed)).ok
        elapsed, used = time.perf_counter() - start, cpu() - used
    trips = round_trips(store)
    if store is not None:
        store.close()
    return elapsed, used, trips


def store_at(commit: str) -> type[Store]:
    """``RedisStore`` as its files were at ``commit``."""
    store: type[Store] = at_commit.store_at(commit, "redis", "RedisStore")
    return store


class ServerCpu:
    """redis-server's CPU seconds, and the pipelines a store sent, around one run."""

    def __init__(self, url: str) -> None:
        self.probe = RedisStore(url)

    def seconds(self) -> float:
        info: dict[str, Any] = self.probe._sync.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def round_trips(store: Store | None) -> int:
    pipes = [getattr(store, "_pipe", None), getattr(store, "_apipe", None)]  # a baseline's store too
    return sum(p.round_trips for p in pipes if p is not None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="async,sync")
    parser.add_argument("--before", help="a commit whose RedisStore runs as a baseline")
    args = parser.parse_args()
    n = args.messages
    prefixes = iter(range(10**9))

    with redis_server() as url, nginx() as port:
        server = ServerCpu(url)
        stores: dict[str, Callable[[], Store | None]] = {
            "-": lambda: None,
            "memory": MemoryStore,
            "redis": lambda: RedisStore(url, prefix=f"b{next(prefixes)}:"),
        }
        if args.before:
            old_store = store_at(args.before)
            stores[args.before[:7]] = lambda: old_store(url, prefix=f"b{next(prefixes)}:")
        runners = {"async": run_async, "sync": run_sync}
        modes = {m: runners[m] for m in args.modes.split(",")}
        ratios: dict[tuple[str, str, str], list[float]] = {}
        print(f"{'round':<6}{'mode':<10}{'store':<8}{'layer':<6}{'msg/s':>8}{'ratio':>7}", end="")
        print(f"{'CPU µs/msg':>12}{'server µs/msg':>15}{'trips/msg':>11}", flush=True)
        for round_ in range(1, args.rounds + 1):
            for mode, run in modes.items():
                bare = 0.0
                for name, make in stores.items():
                    for layer in ("bare",) if name == "-" else ("log", "all"):
                        store = make()
                        served_before = server.seconds()
                        elapsed, used, sent = run(port, layer, store, n)
                        served = (server.seconds() - served_before) / n * 1e6 if name != "memory" else 0.0
                        trips = sent / (n + WARM_UP[mode])
                        rate = n / elapsed
                        bare = bare or rate
                        ratios.setdefault((mode, name, layer), []).append(rate / bare)
                        print(f"{round_:<6}{mode:<10}{name:<8}{layer:<6}{rate:>8,.0f}{rate / bare:>7.2f}", end="")
                        print(f"{used / n * 1e6:>12,.0f}{served:>15,.0f}{trips:>11.3f}", flush=True)
        print("\nratio to the bare gateway, min–max over rounds")
        for (mode, name, layer), values in ratios.items():
            print(f"  {mode:<10}{name:<8}{layer:<6}{min(values):.2f}–{max(values):.2f}")
        server.probe.close()


if __name__ == "__main__":
    main()
