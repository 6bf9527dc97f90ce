"""The PostgreSQL store alone: the calls one send makes, without the gateway, per message.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/postgres_store_alone.py [--messages 2000] [--rounds 3] [--durability machine]

Per message, ``log`` starts the send with its message and attempt records before the request
(durable) and writes their outcomes after, as the send path does with the send log alone (sync:
``write_behind``, carried by the next send's start; async: ``awrite`` lazy, awaited);
``log-behind`` and ``all-behind`` (async only) write the outcomes with ``awrite_behind`` instead,
carried by the loop's next group commit (not awaited); ``all`` starts the
send with ``start`` (blocklist, idempotency claim, three limit windows, a provider-rate token, the
pending records and the claim renewed: one statement) and writes the outcomes; ``composed`` does
the same through ``Store.start`` composed of three calls (admit, reserve, write), the baseline.
Sync runs one message after another; async runs 64 at once on one loop. It prints messages a
second, this process's CPU a message and the PostgreSQL cluster's CPU a message (every backend):
the store's own cost, free of HTTP and of the send flow. The cluster has ``fsync`` on.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fixtures' PostgreSQL cluster
from tests.fixtures.postgres import PostgresServer, find_bindir

from smsgate.stores import LogRecord, Store
from smsgate.stores.postgres import PostgresStore

IN_FLIGHT = 64
_keys = itertools.count()


class Composed(PostgresStore):
    """The baseline: ``start`` as admit, reserve and write, three calls."""

    start, astart = Store.start, Store.astart


class Send:
    """The records and keys of one message, and the store calls a send with them makes."""

    def __init__(self, layer: str) -> None:
        now, key = time.time(), next(_keys)
        self.layer, self.now, self.phone = layer, now, f"+86138{key:08d}"
        self.message = LogRecord(f"m{key}", "message", f"m{key}", (self.phone,), "pending", now, now)
        self.attempt = LogRecord(f"a{key}", "attempt", f"m{key}", (self.phone,), "pending", now, now, "aliyun")
        self.claim = (f"idem:{key}", "pending|" + "f" * 40, 300.0)

    def start_args(self) -> tuple[Any, ...]:
        windows = [(f"lim:{span}:{self.phone}", 100 * span, 60.0 * span) for span in (1, 60, 1440)]
        token = ("rate:aliyun", 0.0001, 1000, 1.0, self.now)
        kept = (self.claim[0], "sending|m", 300.0)
        return [f"block:{self.phone}"], self.claim, windows, [token], [self.message, self.attempt], kept

    def finish(self) -> list[LogRecord]:
        for record in (self.message, self.attempt):
            record.status, record.updated_at = "accepted", time.time()
        self.attempt.message_ids = {self.phone: f"biz-{self.attempt.id}"}
        return [self.attempt, self.message]

    def run(self, store: Store) -> None:
        if self.layer.startswith("log"):
            assert store.start([], None, [], [], [self.message, self.attempt]).written
        else:
            assert store.start(*self.start_args()).written
        store.write_behind(self.finish())  # as the send path writes outcomes

    async def arun(self, store: Store) -> None:
        if self.layer.startswith("log"):
            assert (await store.astart([], None, [], [], [self.message, self.attempt])).written
        else:
            assert (await store.astart(*self.start_args())).written
        if self.layer.endswith("behind"):
            await store.awrite_behind(self.finish())  # type: ignore[attr-defined]
        else:
            await store.awrite(self.finish(), lazy=True)


def client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu(server: PostgresServer) -> float:
    """The cluster's CPU seconds: the postmaster, its live processes and those it reaped."""
    pid = int((server.data / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for n, process in enumerate([pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]):
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile: counted with the reaped ones
            continue
        ticks += int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if n == 0 else 0)
    return ticks / 100


def measure(server: PostgresServer, store: Store, layer: str, mode: str, n: int) -> tuple[float, float, float]:
    sends = [Send(layer) for _ in range(n)]

    async def concurrently() -> None:
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(send: Send) -> None:
            async with slots:
                await send.arun(store)

        await asyncio.gather(*(one(send) for send in sends))
        await store.aclose()

    start, cpu, server_start = time.perf_counter(), client_cpu(), server_cpu(server)
    if mode == "sync":
        for send in sends:
            send.run(store)
        store.close()
    else:
        asyncio.run(concurrently())
    elapsed = time.perf_counter() - start
    return n / elapsed, (client_cpu() - cpu) / n * 1e6, (server_cpu(server) - server_start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--durability", choices=["machine", "process"], default="machine")
    args = parser.parse_args()
    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL is not installed"
    server = PostgresServer(bindir, durable=True)
    schemas = itertools.count()
    layers = {
        "log": PostgresStore,
        "log-behind": PostgresStore,
        "all": PostgresStore,
        "all-behind": PostgresStore,
        "composed": Composed,
    }
    rates: dict[tuple[str, str], list[float]] = {}
    try:
        print(f"{'round':<7}{'mode':<7}{'layer':<10}{'msg/s':>9}{'client µs':>11}{'server µs':>11}")
        for round_ in range(1, args.rounds + 1):
            for mode in ("async", "sync"):
                for layer, kind in layers.items():
                    if mode == "sync" and layer.endswith("behind"):
                        continue  # sync outcomes are written behind in every layer
                    schema = f"alone_{next(schemas)}"
                    server.execute(f"CREATE SCHEMA {schema}")
                    store = kind(server.dsn(schema=schema), max_connections=16, durability=args.durability)
                    rate, client, cluster = measure(server, store, layer, mode, args.messages)
                    rates.setdefault((mode, layer), []).append(rate)
                    print(f"{round_:<7}{mode:<7}{layer:<10}{rate:>9,.0f}{client:>11.0f}{cluster:>11.0f}", flush=True)
        print("\nall (start) against composed, messages a second, per round")
        for mode in ("async", "sync"):
            pairs = zip(rates[(mode, "all")], rates[(mode, "composed")], strict=True)
            print(f"  {mode:<7}" + "  ".join(f"{a / b:.2f}" for a, b in pairs))
        print("async outcomes written behind (awrite_behind) against awaited (awrite lazy), per round")
        for layer in ("log", "all"):
            pairs = zip(rates[("async", f"{layer}-behind")], rates[("async", layer)], strict=True)
            print(f"  {layer:<7}" + "  ".join(f"{a / b:.2f}" for a, b in pairs))
    finally:
        server.close()


if __name__ == "__main__":
    main()
