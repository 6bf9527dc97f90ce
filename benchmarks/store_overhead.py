"""What keeping records costs, per store: the bare gateway against the send log, and against every policy.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/store_overhead.py [--messages 3000] [--rounds 3] [--stores sqlite,...]
        [--before 55e137a]

Aliyun over loopback HTTP against nginx (started here, as in ``aliyun_throughput.py``), async
with 64 in flight and sync sequential. Layers: ``log`` is ``send_log=store`` alone (a pending
record before each request, the outcome after); ``all`` adds every policy of
``reliability_overhead.py`` on the same store (idempotency key, limits, provider rate, breaker,
lists). Stores (``--stores``, comma-separated): ``sqlite`` (a temporary file, the default
durability: an fsync per durable commit), ``sqlite-process`` (``durability="process"``, no fsync),
``redis`` (a local ``redis-server``), ``postgres`` (a throwaway cluster with ``fsync`` on, over
loopback TCP), ``postgres-process`` (``durability="process"``: no commit waits for its WAL
flush) and ``memory`` (``MemoryStore``, the ceiling: the send path's own cost with records kept
for free). Each round runs every layer in turn, the bare gateway first, so ratios compare
runs made under the same load; the closing table gives each ratio's min–max over the rounds.
``cpu µs/msg`` is this process's CPU time (its threads included: SQLite's writer) per message,
less sensitive to the machine's load.
``postgres-composed`` is ``postgres`` with ``Store.start`` composed of three calls (admit, rate
token, pending write): the baseline of its one-statement ``start``; ``sqlite-composed`` and
``sqlite-p-composed`` (``durability="process"``) likewise for SQLite's one-commit ``start``.
``sqlite-behind`` and ``sqlite-p-behind`` (``durability="process"``) make the async outcome write with
``write_behind``, as the sync path does (the async flow awaits ``awrite(lazy=True)`` today): what
switching the async flow would change.
``--before <commit>`` adds ``sqlite-before`` and ``sqlite-p-before``: ``SQLiteStore`` as it was at
that commit (``at_commit.py``), the rest of smsgate as it is, in the same rounds.
``floor`` and ``floor-process`` (layer ``log`` only) are the bare gateway plus a hand-written raw
``sqlite3`` commit a send (``store_floor.py``: an fsync each, as the default durability, or none,
as ``"process"``): the best any SQLite send log could do on this disk.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fixtures' PostgreSQL cluster
import at_commit
from aliyun_throughput import IN_FLIGHT, TEMPLATE, nginx, phones, run_concurrently, smsgate_settings
from reliability_overhead import options, redis_server
from store_floor import Floor
from tests.fixtures.postgres import PostgresServer, find_bindir

from smsgate import AsyncGateway, Gateway, MemoryStore, Message, SQLiteStore, Store

_keys = iter(range(10**12))


def message(phone: str, keyed: bool) -> Message:
    key = f"bench-{next(_keys)}" if keyed else None
    return Message(phone, template=TEMPLATE, text="code ${code}", params={"code": "1234"}, idempotency_key=key)


def layer_options(layer: str, store: Store | Floor | None) -> dict[str, Any]:
    if store is None or isinstance(store, Floor):
        return {}
    return {"send_log": store} if layer == "log" else options(store, "aliyun")


def run_async(port: int, layer: str, store: Store | Floor | None, count: int) -> tuple[float, float]:
    async def main() -> tuple[float, float]:
        config = {"aliyun": smsgate_settings(port)}
        keyed = layer == "all"
        floor = store if isinstance(store, Floor) else None
        async with AsyncGateway(config, concurrency=IN_FLIGHT, **layer_options(layer, store)) as gateway:

            async def one(phone: str) -> None:
                n = await floor.asend(phone) if floor else 0
                result = await gateway.send(message(phone, keyed))
                assert result.ok, result.errors
                if floor:
                    floor.done(phone, n)

            await run_concurrently(phones(IN_FLIGHT * 4), one)
            numbers = phones(count)
            start, cpu = time.perf_counter(), time.process_time()
            await run_concurrently(numbers, one)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if isinstance(store, Floor):
            store.close()
        elif store is not None:
            await store.aclose()
        return elapsed, cpu

    return asyncio.run(main())


def run_sync(port: int, layer: str, store: Store | Floor | None, count: int) -> tuple[float, float]:
    keyed = layer == "all"
    floor = store if isinstance(store, Floor) else None
    with Gateway({"aliyun": smsgate_settings(port)}, **layer_options(layer, store)) as gateway:

        def one(phone: str) -> None:
            n = floor.send(phone) if floor else 0
            assert gateway.send(message(phone, keyed)).ok
            if floor:
                floor.done(phone, n)

        for phone in phones(50):
            one(phone)
        numbers = phones(count)
        start, cpu = time.perf_counter(), time.process_time()
        for phone in numbers:
            one(phone)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if store is not None:
        store.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stores", default="sqlite,sqlite-process,redis,postgres")
    parser.add_argument("--before", help="a commit whose SQLiteStore runs as sqlite-before, sqlite-p-before")
    args = parser.parse_args()
    n = args.messages

    from smsgate.stores.postgres import PostgresStore
    from smsgate.stores.redis import RedisStore

    bindir = find_bindir()
    assert bindir is not None, "PostgreSQL is not installed"
    pg = PostgresServer(bindir, durable=True)
    schemas = iter(range(10**9))

    class ComposedStart(PostgresStore):  # the baseline: admit, reserve, write as three calls
        start, astart = Store.start, Store.astart

    class SQLiteComposed(SQLiteStore):  # the baseline: admit, reserve, write as three commits
        start, astart = Store.start, Store.astart

    class SQLiteBehind(SQLiteStore):  # the async outcome written behind, as the sync flow does
        async def awrite(self, records: Any = (), *, keep: Any = None, forget: Any = None, lazy: bool = False) -> None:
            if not lazy:
                return await super().awrite(records, keep=keep, forget=forget)
            self.write_behind(records, keep=keep, forget=forget)

    def fresh_pg(durability: Literal["machine", "process"] = "machine", kind: Any = PostgresStore) -> Store:
        schema = f"bench_{next(schemas)}"
        pg.execute(f"CREATE SCHEMA {schema}")
        return kind(pg.dsn(schema=schema), max_connections=IN_FLIGHT // 4, durability=durability)

    before: Any = at_commit.store_at(args.before, "sqlite", "SQLiteStore") if args.before else None
    try:
        with redis_server() as url, nginx() as port, tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
            makers: dict[str, Callable[[], Store | Floor]] = {
                "floor": lambda: Floor(Path(tmp, f"state-{next(_keys)}.db"), "FULL"),
                "floor-process": lambda: Floor(Path(tmp, f"state-{next(_keys)}.db"), "NORMAL"),
                "memory": MemoryStore,
                "sqlite": lambda: SQLiteStore(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-process": lambda: SQLiteStore(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "sqlite-composed": lambda: SQLiteComposed(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-p-composed": lambda: SQLiteComposed(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "sqlite-behind": lambda: SQLiteBehind(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-p-behind": lambda: SQLiteBehind(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "sqlite-before": lambda: before(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-p-before": lambda: before(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "redis": lambda: RedisStore(url, prefix=f"b{next(_keys)}:"),
                "postgres": fresh_pg,
                "postgres-process": lambda: fresh_pg("process"),
                "postgres-composed": lambda: fresh_pg(kind=ComposedStart),
            }
            chosen = [s for s in args.stores.split(",") if s]
            modes: dict[str, Callable[[str, Store | Floor | None], tuple[float, float]]] = {
                "async x64": lambda layer, store: run_async(port, layer, store, n),
                "sync": lambda layer, store: run_sync(port, layer, store, n),
            }
            ratios: dict[tuple[str, str, str], list[float]] = {}
            print(f"{'round':<7}{'mode':<11}{'store':<18}{'layer':<6}{'msg/s':>10}{'vs bare':>9}{'cpu µs/msg':>12}")
            for round_ in range(1, args.rounds + 1):
                for mode, run in modes.items():
                    elapsed, cpu = run("bare", None)
                    bare = n / elapsed
                    print(f"{round_:<7}{mode:<11}{'-':<18}{'bare':<6}{bare:>10,.0f}{1:>9.2f}{cpu / n * 1e6:>12.0f}")
                    for name in chosen:
                        for layer in ("log",) if name.startswith("floor") else ("log", "all"):
                            elapsed, cpu = run(layer, makers[name]())
                            rate = n / elapsed
                            ratios.setdefault((mode, name, layer), []).append(rate / bare)
                            print(
                                f"{round_:<7}{mode:<11}{name:<18}{layer:<6}{rate:>10,.0f}{rate / bare:>9.2f}"
                                f"{cpu / n * 1e6:>12.0f}",
                                flush=True,
                            )
            print("\nratio to the bare gateway, min–max over rounds")
            for (mode, name, layer), values in ratios.items():
                print(f"  {mode:<11}{name:<18}{layer:<6}{min(values):.2f}–{max(values):.2f}")
    finally:
        pg.close()


if __name__ == "__main__":
    main()
