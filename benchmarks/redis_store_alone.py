"""The Redis store alone: the calls one send makes, without the gateway, per message.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/redis_store_alone.py [--messages 3000] [--rounds 3] [--before adb3b11]
        [--layers log,all,start-log,start-all]

Per message, ``log`` writes the message and attempt records before the request (acknowledged)
and their outcomes after (sync: ``write_behind``, async: ``lazy``), each with the idempotency claim
kept, as the send path does;
``all`` first admits the send (blocklist, claim, three limit windows) and takes a provider-rate
token: four calls. ``start-log`` and ``start-all`` do the same in two calls, as the send path does
with :meth:`~smsgate.stores.Store.start`: ``start`` (admission, token, pending records, claim),
then the lazy outcome write. Sync runs one message after another; async runs 64 messages at once on one loop. It prints
messages a second, this process's CPU a message, redis-server's CPU a message and round trips a
message: the store's own cost, free of HTTP and of the send flow, so much less sensitive to the
machine's load than ``redis_pipelining.py``. ``--before <commit>`` runs ``RedisStore`` as it was
at that commit in the same rounds and the closing table gives each CPU ratio (now / before).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from redis_pipelining import ServerCpu, cpu, round_trips, store_at
from reliability_overhead import redis_server

from smsgate.stores import LogRecord
from smsgate.stores.redis import RedisStore

IN_FLIGHT = 64
_keys = itertools.count()


class Send:
    """The records and keys of one message, and the store calls a send with them makes."""

    def __init__(self, n: int, layer: str) -> None:
        now, key = time.time(), next(_keys)
        self.phone, self.now, self.claim = f"+86138{n:08d}", now, f"idem:{key}"
        self.policies, self.starts = layer.endswith("all"), layer.startswith("start")
        self.message = LogRecord(f"m{key}", "message", f"m{key}", (self.phone,), "pending", now, now)
        self.attempt = LogRecord(f"a{key}", "attempt", f"m{key}", (self.phone,), "pending", now, now, "aliyun")

    def admission(self) -> tuple[Any, ...]:
        minute, hour, day = int(self.now // 60), int(self.now // 3600), int(self.now // 86400)
        windows = [(f"lim:m:{self.phone}:{minute}", 100, 60.0), (f"lim:h:{self.phone}:{hour}", 1000, 3600.0)]
        windows.append((f"lim:d:{self.phone}:{day}", 10000, 86400.0))
        return [f"block:{self.phone}"], (self.claim, "pending|" + "f" * 40, 300.0), windows

    def finish(self) -> None:
        for record in (self.message, self.attempt):
            record.status, record.updated_at = "accepted", time.time()
            record.message_ids = {self.phone: f"biz-{self.attempt.id}"}

    def started(self) -> tuple[Any, ...]:
        """The arguments of the send's ``start``."""
        admission = self.admission() if self.policies else ([], None, [])
        tokens = [("rate:aliyun", 1e-9, 10**9, 10.0, self.now)] if self.policies else []
        return *admission, tokens, [self.message, self.attempt], (self.claim, "sent|" + "f" * 60, 300.0)

    def run(self, store: Any) -> None:
        if self.starts:
            assert store.start(*self.started()).written
        else:
            self.opening(store)
        self.finish()  # as the sync send path writes its outcome (at once where the store does not override it)
        store.write_behind([self.attempt, self.message], keep=(self.claim, "done|" + "f" * 200, 86400.0))

    def opening(self, store: Any) -> None:
        if self.policies:
            refusal = store.admit(*self.admission())
            assert refusal is None, refusal
            store.reserve("rate:aliyun", 1e-9, 10**9, 10.0, self.now)
        store.write([self.message, self.attempt], keep=(self.claim, "sent|" + "f" * 60, 300.0))

    async def arun(self, store: Any) -> None:
        if self.starts:
            assert (await store.astart(*self.started())).written
        else:
            if self.policies:
                assert await store.aadmit(*self.admission()) is None
                await store.areserve("rate:aliyun", 1e-9, 10**9, 10.0, self.now)
            await store.awrite([self.message, self.attempt], keep=(self.claim, "sent|" + "f" * 60, 300.0))
        self.finish()
        await store.awrite([self.attempt, self.message], keep=(self.claim, "done|" + "f" * 200, 86400.0), lazy=True)


def run_sync(store: Any, count: int, layer: str) -> tuple[float, int]:
    """CPU seconds and round trips of ``count`` sends, one after another."""
    sends = [Send(n, layer) for n in range(count)]
    used, trips = cpu(), round_trips(store)
    for send in sends:
        send.run(store)
    return cpu() - used, round_trips(store) - trips


def run_async(store: Any, count: int, layer: str) -> tuple[float, int]:
    """CPU seconds and round trips of ``count`` sends, 64 at a time on one loop."""

    async def main() -> tuple[float, int]:
        sends = iter([Send(n, layer) for n in range(count)])

        async def worker() -> None:
            for send in sends:
                await send.arun(store)

        used, trips = cpu(), round_trips(store)
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        used, trips = cpu() - used, round_trips(store) - trips
        await store.aclose()
        return used, trips

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", help="a commit whose RedisStore runs as a baseline")
    parser.add_argument("--layers", default="log,all,start-log,start-all")
    parser.add_argument("--modes", default="sync,async")
    args = parser.parse_args()
    n = args.messages
    prefixes = iter(range(10**9))
    with redis_server() as url:
        server = ServerCpu(url)
        makers: dict[str, Callable[..., Any]] = {"now": RedisStore}
        if args.before:
            makers[args.before[:7]] = store_at(args.before)
        runs: dict[str, Callable[[Any, int, str], tuple[float, int]]] = {"sync": run_sync, "async": run_async}
        runs = {mode: runs[mode] for mode in args.modes.split(",")}
        cpus: dict[tuple[str, str, str, str], list[float]] = {}  # (side, mode, layer, store): µs a message
        print(f"{'round':<6}{'mode':<7}{'layer':<10}{'store':<9}{'msg/s':>8}{'CPU µs/msg':>12}", end="")
        print(f"{'server µs/msg':>15}{'trips/msg':>11}", flush=True)
        for round_ in range(1, args.rounds + 1):
            for mode, run in runs.items():
                for layer in args.layers.split(","):
                    for name, make in makers.items():
                        store = make(url, prefix=f"alone{next(prefixes)}:")
                        run(store, 50, layer)  # connected, scripts loaded
                        served, start = server.seconds(), time.perf_counter()
                        used, trips = run(store, n, layer)
                        elapsed, served = time.perf_counter() - start, server.seconds() - served
                        store.close()
                        cpus.setdefault(("client", mode, layer, name), []).append(used / n * 1e6)
                        cpus.setdefault(("server", mode, layer, name), []).append(served / n * 1e6)
                        print(f"{round_:<6}{mode:<7}{layer:<10}{name:<9}{n / elapsed:>8,.0f}", end="")
                        print(f"{used / n * 1e6:>12,.1f}{served / n * 1e6:>15,.1f}{trips / n:>11.3f}", flush=True)
        print(
            "\nCPU µs a message, min–max over rounds" + (" (and now / before, round by round)" if args.before else "")
        )
        for (side, mode, layer, name), values in sorted(cpus.items()):
            line = f"  {side:<8}{mode:<7}{layer:<10}{name:<9}{min(values):7.1f}–{max(values):.1f}"
            if args.before and name == "now":
                base = cpus[(side, mode, layer, args.before[:7])]
                ratios = [a / b for a, b in zip(values, base, strict=True)]
                line += f"   now / before {min(ratios):.2f}–{max(ratios):.2f}"
            print(line)
        server.probe.close()


if __name__ == "__main__":
    main()
