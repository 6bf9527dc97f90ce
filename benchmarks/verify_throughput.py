"""Verification throughput: start + check pairs per second, per store, against named baselines.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/verify_throughput.py [--pairs 2000] [--repeat 3]

Each pair is ``Verifier.start`` (one SMS to the in-process ``memory`` sink) then ``Verifier.check``
with the right code, one new phone per pair. Baselines in the same run, on the same store:

* ``send``: ``Gateway.send`` of the same message through the same sink (no state at all);
* ``naive``: what the peers do: ``set(code, ttl)`` in plaintext, then ``get`` and ``==``.

Stores: ``SQLiteStore`` (a temporary file, every write fsynced), ``RedisStore`` (a local
``redis-server`` started here) and ``PostgresStore`` (a throwaway cluster started here, when the
store and PostgreSQL are installed). Sync pairs run one after another; async pairs run 64 in
flight. Prints pairs per second (best of ``--repeat`` runs) and the ratios to the baselines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from aliyun_throughput import phones, run_concurrently
from reliability_overhead import redis_server

from smsgate import AsyncGateway, AsyncVerifier, Gateway, Message, SQLiteStore, Store, Verifier, VerifyPolicy
from smsgate.providers.memory import MemoryProvider

KEYS = {"bench": "a benchmark server key of 32+ bytes"}
POLICY = VerifyPolicy(sends_per_phone=None, sends_per_client=None, checks_per_phone=None, checks_per_client=None)


@contextmanager
def postgres() -> Iterator[str | None]:
    try:
        from tests.fixtures.postgres import PostgresServer, find_bindir

        from smsgate.stores import postgres as _  # noqa: F401
    except ImportError:
        yield None
        return
    bindir = find_bindir()
    if bindir is None:
        yield None
        return
    server = PostgresServer(bindir)
    try:
        yield server.dsn()
    finally:
        server.close()


def open_store(kind: str, where: str) -> Store:
    if kind == "sqlite":
        return SQLiteStore(where)
    if kind == "redis":
        from smsgate.stores.redis import RedisStore

        return RedisStore(where)
    from smsgate.stores.postgres import PostgresStore  # type: ignore[import-not-found, unused-ignore]

    return PostgresStore(where)  # type: ignore[no-any-return, unused-ignore]


def verify_sync(store: Store, numbers: list[str]) -> float:
    provider = MemoryProvider()
    with Gateway([provider]) as gateway:
        verifier = Verifier(gateway, store, keys=KEYS, policy=POLICY)
        start = time.perf_counter()
        for phone in numbers:
            v = verifier.start(phone, template="SMS_1")
            verifier.check(v.id, provider.outbox[-1].params["code"])
            provider.outbox.clear()
        return time.perf_counter() - start


def send_sync(store: Store, numbers: list[str]) -> float:
    with Gateway([MemoryProvider()], store=store) as gateway:
        start = time.perf_counter()
        for phone in numbers:
            gateway.send(Message(phone, template="SMS_1", params={"code": "123456"}))
        return time.perf_counter() - start


def naive_sync(store: Store, numbers: list[str]) -> float:
    with Gateway([MemoryProvider()], store=store) as gateway:
        start = time.perf_counter()
        for phone in numbers:
            code = f"{secrets.randbelow(10**6):06d}"
            store.set(f"naive:{phone}", code, 600)
            gateway.send(Message(phone, template="SMS_1", params={"code": code}))
            assert store.get(f"naive:{phone}") == code
        return time.perf_counter() - start


def verify_async(store: Store, numbers: list[str]) -> float:
    async def main() -> float:
        provider = MemoryProvider()
        gateway = AsyncGateway([provider])
        verifier = AsyncVerifier(gateway, store, keys=KEYS, policy=POLICY)
        codes: dict[str, str] = {}

        async def one(phone: str) -> None:
            v = await verifier.start(phone, template="SMS_1")
            codes[v.id] = provider.outbox.to(phone)[-1].params["code"]
            await verifier.check(v.id, codes[v.id])

        start = time.perf_counter()
        await run_concurrently(numbers, one)
        elapsed = time.perf_counter() - start
        await gateway.aclose()
        await store.aclose()  # its async client belongs to this event loop
        return elapsed

    return asyncio.run(main())


def naive_async(store: Store, numbers: list[str]) -> float:
    async def main() -> float:
        gateway = AsyncGateway([MemoryProvider()], store=store)

        async def one(phone: str) -> None:
            code = f"{secrets.randbelow(10**6):06d}"
            await store.aset(f"naive:{phone}", code, 600)
            await gateway.send(Message(phone, template="SMS_1", params={"code": code}))
            assert await store.aget(f"naive:{phone}") == code

        start = time.perf_counter()
        await run_concurrently(numbers, one)
        elapsed = time.perf_counter() - start
        await gateway.aclose()
        await store.aclose()  # its async client belongs to this event loop
        return elapsed

    return asyncio.run(main())


Run = Callable[[Store, list[str]], float]


def best(run: Run, kind: str, where: str, count: int, repeat: int) -> float:
    """Pairs per second, best of ``repeat`` runs, each on new phones and a new store client (an
    async client belongs to one event loop), after a short warm-up."""

    def once(numbers: list[str]) -> float:
        store = open_store(kind, where)
        try:
            return run(store, numbers)
        finally:
            store.close()

    once(phones(50))
    return max(count / once(phones(count)) for _ in range(repeat))


def measure(kind: str, where: str, runs: dict[str, Run | None], count: int, repeat: int) -> dict[str, float]:
    return {name: best(run, kind, where, count, repeat) for name, run in runs.items() if run is not None}


HEADER = f"{'store':10} {'mode':6} {'verify pairs/s':>15} {'send/s':>10} {'naive/s':>10} {'vs send':>8} {'vs naive':>9}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {load}; pairs per run: {args.pairs}; best of {args.repeat}")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        places = {"sqlite": str(Path(tmp) / "bench.db"), "redis": stack.enter_context(redis_server())}
        dsn = stack.enter_context(postgres())
        if dsn is not None:
            places["postgres"] = dsn
        else:
            print("postgres: not measured (no PostgresStore or no PostgreSQL installed)")
        print(HEADER)
        for kind, where in places.items():
            modes: list[tuple[str, dict[str, Run | None]]] = [
                ("sync", {"verify": verify_sync, "send": send_sync, "naive": naive_sync})
            ]
            if kind != "sqlite":
                modes.append(("async", {"verify": verify_async, "send": None, "naive": naive_async}))
            for mode, runs in modes:
                rates = measure(kind, where, runs, args.pairs, args.repeat)
                send = rates.get("send", 0.0)
                vs_send = f"{rates['verify'] / send:7.2f}x" if send else f"{'-':>8}"
                print(
                    f"{kind:10} {mode:6} {rates['verify']:15,.0f} {send:10,.0f} {rates['naive']:10,.0f}"
                    f" {vs_send} {rates['verify'] / rates['naive']:8.2f}x"
                )


if __name__ == "__main__":
    main()
