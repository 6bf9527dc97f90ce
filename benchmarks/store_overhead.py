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
``pg-floor`` and ``pg-floor-off`` (layer ``floor``) are no store: the bare gateway with one
hand-written psycopg ``INSERT`` a send before it (``postgres_floor.py``), ``synchronous_commit`` on
and off: the best any PostgreSQL send log could do here, next to ``postgres`` and ``postgres-process``.
``postgres-abehind`` and ``postgres-p-abehind`` write the send path's lazy async writes (outcomes)
with ``awrite_behind``, not awaited: what the send flow would gain by switching to it.
``postgres-before`` and ``postgres-p-before`` are ``PostgresStore`` as it was at ``--before`` (a
commit, read by ``at_commit.py``; by default the one before its ``write_behind``), the baselines.
``sqlite-floor`` and ``sqlite-floor-p`` (layer ``floor``) are no store: the bare gateway with one
hand-written raw ``sqlite3`` commit a send before it (``store_floor.py``: the pending rows and the
previous send's outcome), ``synchronous=FULL`` (an fsync, as the default durability) and ``NORMAL``
(as ``"process"``): the best any SQLite send log could do on this disk. ``sqlite-before`` and
``sqlite-p-before`` are ``SQLiteStore`` as it was at ``--before``; ``sqlite-behind`` and
``sqlite-p-behind`` write the async outcomes with ``write_behind``, as the sync path does.
``redis-floor`` (layer ``floor``) is no store: the bare gateway with one hand-written redis-py
``SET`` a send before it (``redis_floor.py``): for sync sends, the best any Redis send log could do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fixtures' PostgreSQL cluster
import at_commit
from aliyun_throughput import IN_FLIGHT, TEMPLATE, nginx, phones, run_concurrently, smsgate_settings
from postgres_floor import Floor
from redis_floor import RedisFloor
from reliability_overhead import options, redis_server
from store_floor import SQLiteFloor
from tests.fixtures.postgres import PostgresServer, find_bindir

from smsgate import AsyncGateway, Gateway, MemoryStore, Message, SQLiteStore, Store

_keys = iter(range(10**12))
AnyFloor = Floor | SQLiteFloor | RedisFloor  # one hand-written write a send before the bare gateway's


def message(phone: str, keyed: bool) -> Message:
    key = f"bench-{next(_keys)}" if keyed else None
    return Message(phone, template=TEMPLATE, text="code ${code}", params={"code": "1234"}, idempotency_key=key)


def layer_options(layer: str, store: Store | None) -> dict[str, Any]:
    if store is None:
        return {}
    return {"send_log": store} if layer == "log" else options(store, "aliyun")


def run_async(
    port: int, layer: str, store: Store | None, count: int, floor: AnyFloor | None = None
) -> tuple[float, float]:
    async def main() -> tuple[float, float]:
        config = {"aliyun": smsgate_settings(port)}
        keyed = layer == "all"
        async with (
            AsyncGateway(config, concurrency=IN_FLIGHT, **layer_options(layer, store)) as gateway,
            floor.asynced(IN_FLIGHT // 4) if floor else nullcontext(None) as insert,
        ):

            async def one(phone: str) -> None:
                if insert is not None:  # the floor: one hand-written round trip before the bare send
                    await insert(phone)
                result = await gateway.send(message(phone, keyed))
                assert result.ok, result.errors

            await run_concurrently(phones(IN_FLIGHT * 4), one)
            numbers = phones(count)
            start, cpu = time.perf_counter(), time.process_time()
            await run_concurrently(numbers, one)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        if store is not None:
            await store.aclose()
        return elapsed, cpu

    return asyncio.run(main())


def run_sync(
    port: int, layer: str, store: Store | None, count: int, floor: AnyFloor | None = None
) -> tuple[float, float]:
    keyed = layer == "all"
    with (
        Gateway({"aliyun": smsgate_settings(port)}, **layer_options(layer, store)) as gateway,
        floor.sync() if floor else nullcontext(lambda phone: None) as insert,
    ):
        for phone in phones(50):
            insert(phone)
            gateway.send(message(phone, keyed))
        numbers = phones(count)
        start, cpu = time.perf_counter(), time.process_time()
        for phone in numbers:
            insert(phone)
            assert gateway.send(message(phone, keyed)).ok
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if store is not None:
        store.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stores", default="sqlite,sqlite-process,redis,postgres")
    parser.add_argument("--before", default="55e137a", help="the commit of postgres-before, sqlite-before and the like")
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

    class AsyncBehind(PostgresStore):  # what the send flow gains if its async outcomes were written behind
        async def awrite(self, records: Any = (), *, keep: Any = None, forget: Any = None, lazy: bool = False) -> None:
            if not lazy:
                return await super().awrite(records, keep=keep, forget=forget)
            await self.awrite_behind(records, keep=keep, forget=forget)

    class SQLiteBehind(SQLiteStore):  # the async outcome written behind, as the sync flow does
        async def awrite(self, records: Any = (), *, keep: Any = None, forget: Any = None, lazy: bool = False) -> None:
            if not lazy:
                return await super().awrite(records, keep=keep, forget=forget)
            self.write_behind(records, keep=keep, forget=forget)

    def sqlite_at(path: Path, durability: Literal["machine", "process"]) -> Store:
        kind: Any = at_commit.store_at(args.before, "sqlite", "SQLiteStore")
        return kind(path, durability=durability)  # type: ignore[no-any-return]

    def pg_before() -> Any:  # the baseline of write_behind: the store as it was before it
        return at_commit.store_at(args.before, "postgres", "PostgresStore")

    def fresh_dsn() -> str:
        schema = f"bench_{next(schemas)}"
        pg.execute(f"CREATE SCHEMA {schema}")
        return pg.dsn(schema=schema)

    def fresh_pg(durability: Literal["machine", "process"] = "machine", kind: Any = PostgresStore) -> Store:
        return kind(fresh_dsn(), max_connections=IN_FLIGHT // 4, durability=durability)

    try:
        with redis_server() as url, nginx() as port, tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
            makers: dict[str, Callable[[], Store]] = {
                "memory": MemoryStore,
                "sqlite": lambda: SQLiteStore(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-process": lambda: SQLiteStore(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "sqlite-composed": lambda: SQLiteComposed(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-p-composed": lambda: SQLiteComposed(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "sqlite-before": lambda: sqlite_at(Path(tmp, f"state-{next(_keys)}.db"), "machine"),
                "sqlite-p-before": lambda: sqlite_at(Path(tmp, f"state-{next(_keys)}.db"), "process"),
                "sqlite-behind": lambda: SQLiteBehind(Path(tmp, f"state-{next(_keys)}.db")),
                "sqlite-p-behind": lambda: SQLiteBehind(Path(tmp, f"state-{next(_keys)}.db"), durability="process"),
                "redis": lambda: RedisStore(url, prefix=f"b{next(_keys)}:"),
                "postgres": fresh_pg,
                "postgres-process": lambda: fresh_pg("process"),
                "postgres-composed": lambda: fresh_pg(kind=ComposedStart),
                "postgres-abehind": lambda: fresh_pg(kind=AsyncBehind),
                "postgres-p-abehind": lambda: fresh_pg("process", kind=AsyncBehind),
                "postgres-before": lambda: fresh_pg(kind=pg_before()),
                "postgres-p-before": lambda: fresh_pg("process", kind=pg_before()),
            }
            chosen = [s for s in args.stores.split(",") if s]
            floors: dict[str, Callable[[], Any]] = {  # one hand-written INSERT or commit a send, durable or not
                "pg-floor": lambda: Floor(fresh_dsn(), True),
                "pg-floor-off": lambda: Floor(fresh_dsn(), False),
                "sqlite-floor": lambda: SQLiteFloor(Path(tmp, f"floor-{next(_keys)}.db"), "FULL"),
                "sqlite-floor-p": lambda: SQLiteFloor(Path(tmp, f"floor-{next(_keys)}.db"), "NORMAL"),
                "redis-floor": lambda: RedisFloor(url, f"f{next(_keys)}:"),
            }
            modes: dict[str, Callable[[str, Store | None, AnyFloor | None], tuple[float, float]]] = {
                "async x64": lambda layer, store, floor: run_async(port, layer, store, n, floor),
                "sync": lambda layer, store, floor: run_sync(port, layer, store, n, floor),
            }
            ratios: dict[tuple[str, str, str], list[float]] = {}
            print(f"{'round':<7}{'mode':<11}{'store':<20}{'layer':<6}{'msg/s':>10}{'vs bare':>9}{'cpu µs/msg':>12}")
            for round_ in range(1, args.rounds + 1):
                for mode, run in modes.items():
                    elapsed, cpu = run("bare", None, None)
                    bare = n / elapsed
                    print(f"{round_:<7}{mode:<11}{'-':<20}{'bare':<6}{bare:>10,.0f}{1:>9.2f}{cpu / n * 1e6:>12.0f}")
                    for name in chosen:
                        for layer in ("floor",) if name in floors else ("log", "all"):
                            if name in floors:
                                elapsed, cpu = run(layer, None, floors[name]())
                            else:
                                elapsed, cpu = run(layer, makers[name](), None)
                            rate = n / elapsed
                            ratios.setdefault((mode, name, layer), []).append(rate / bare)
                            print(
                                f"{round_:<7}{mode:<11}{name:<20}{layer:<6}{rate:>10,.0f}{rate / bare:>9.2f}"
                                f"{cpu / n * 1e6:>12.0f}",
                                flush=True,
                            )
            print("\nratio to the bare gateway, min–max over rounds")
            for (mode, name, layer), values in ratios.items():
                print(f"  {mode:<11}{name:<20}{layer:<6}{min(values):.2f}–{max(values):.2f}")
    finally:
        pg.close()


if __name__ == "__main__":
    main()
