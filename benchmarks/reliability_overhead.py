"""What the reliability layer costs: the bare gateway against the same gateway with every policy on.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/reliability_overhead.py [--messages 3000]

"Full" means: blocklist and country allowlist checks, an idempotency key per message (claimed,
then stored), per-phone limits (minute, hour and day windows), a provider token bucket, a circuit
breaker, and a send log with a pending record before each request and an update after, plus the
message's own record. Three stores: ``MemoryStore``, ``RedisStore`` (a local ``redis-server`` on a
free port, started here) and ``SQLiteStore`` (a temporary file; every write is fsynced). Two
paths: the in-process ``memory`` provider (pure overhead, no HTTP) and Aliyun over loopback HTTP
against nginx (started here, as in ``aliyun_throughput.py``), async with 64 in flight and sync
sequential. Prints messages per second and the ratio to the bare gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from aliyun_throughput import (
    IN_FLIGHT,
    TEMPLATE,
    free_port,
    nginx,
    phones,
    run_concurrently,
    smsgate_settings,
    wait_for_port,
)

from smsgate import (
    AsyncGateway,
    Gateway,
    MemoryStore,
    Message,
    PhoneLimits,
    ProviderRate,
    SQLiteStore,
    Store,
)
from smsgate.providers.memory import MemoryProvider


@contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(proc, port, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)


def options(store: Store | None, provider: str) -> dict[str, Any]:
    if store is None:
        return {}
    return {
        "store": store,
        "send_log": store,
        "limits": PhoneLimits(per_minute=100, per_hour=1000, per_day=10000),
        "rates": {provider: ProviderRate(rate=1e9, burst=10**9)},
        "breakers": True,
        "blocklist": True,
        "allowlist": ["CN"],
    }


_keys = iter(range(10**12))


def message(phone: str, keyed: bool) -> Message:
    key = f"bench-{next(_keys)}" if keyed else None
    return Message(phone, template=TEMPLATE, text="code ${code}", params={"code": "1234"}, idempotency_key=key)


def memory_sync(store: Store | None, count: int) -> float:
    with Gateway([MemoryProvider(alias="memory")], **options(store, "memory")) as gateway:
        for phone in phones(50):
            gateway.send(message(phone, store is not None))
        numbers = phones(count)
        start = time.perf_counter()
        for phone in numbers:
            gateway.send(message(phone, store is not None))
        return time.perf_counter() - start


def memory_async(store: Store | None, count: int) -> float:
    async def main() -> float:
        gateway = AsyncGateway([MemoryProvider(alias="memory")], **options(store, "memory"))

        async def one(phone: str) -> None:
            await gateway.send(message(phone, store is not None))

        await run_concurrently(phones(200), one)
        numbers = phones(count)
        start = time.perf_counter()
        await run_concurrently(numbers, one)
        return time.perf_counter() - start

    return asyncio.run(main())


def aliyun_async(port: int, store: Store | None, count: int) -> float:
    async def main() -> float:
        config = {"aliyun": smsgate_settings(port)}
        async with AsyncGateway(config, concurrency=IN_FLIGHT, **options(store, "aliyun")) as gateway:

            async def one(phone: str) -> None:
                result = await gateway.send(message(phone, store is not None))
                assert result.ok, result.errors

            await run_concurrently(phones(IN_FLIGHT * 4), one)
            numbers = phones(count)
            start = time.perf_counter()
            await run_concurrently(numbers, one)
            return time.perf_counter() - start

    return asyncio.run(main())


def aliyun_sync(port: int, store: Store | None, count: int) -> float:
    with Gateway({"aliyun": smsgate_settings(port)}, **options(store, "aliyun")) as gateway:
        for phone in phones(50):
            gateway.send(message(phone, store is not None))
        numbers = phones(count)
        start = time.perf_counter()
        for phone in numbers:
            assert gateway.send(message(phone, store is not None)).ok
        return time.perf_counter() - start


def best(run: Callable[[], float], count: int, repeat: int) -> float:
    """Messages per second, best of ``repeat`` runs."""
    return max(count / run() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, r = args.messages, args.repeat

    from smsgate.stores.redis import RedisStore

    with redis_server() as url, nginx() as port, tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
        stores: dict[str, Callable[[], Store | None]] = {
            "bare": lambda: None,
            "memory store": MemoryStore,
            "redis store": lambda: RedisStore(url),
            "sqlite store": lambda: SQLiteStore(Path(tmp, f"state-{next(_keys)}.db")),
        }
        paths: dict[str, Callable[[Store | None], float]] = {
            "memory provider, sync": lambda s: memory_sync(s, n),
            "memory provider, async x64": lambda s: memory_async(s, n),
            "aliyun over HTTP, sync": lambda s: aliyun_sync(port, s, n),
            "aliyun over HTTP, async x64": lambda s: aliyun_async(port, s, n),
        }
        print(f"{'path':<30}{'layer':<16}{'msg/s':>10}{'vs bare':>10}{'us/msg extra':>14}")
        for path, run in paths.items():
            bare = 0.0
            for layer, make in stores.items():
                rate = best(lambda: run(make()), n, r)  # noqa: B023
                if layer == "bare":
                    bare = rate
                extra = (1 / rate - 1 / bare) * 1e6
                print(f"{path:<30}{layer:<16}{rate:>10,.0f}{rate / bare:>10.2f}{extra:>14.1f}")


if __name__ == "__main__":
    main()
