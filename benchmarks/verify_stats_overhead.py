"""What the verification counters (``Verifier.stats``) cost a start + check pair, and what reading them costs.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/verify_stats_overhead.py [--pairs 1000] [--runs 3] [--store sqlite|redis]

Each pair is ``Verifier.start`` (one SMS to the in-process ``memory`` sink) then ``Verifier.check``
with the right code, one new phone per pair, on one store (a temporary SQLite file, every write
fsynced; or a local ``redis-server`` started here). Interleaved in each run:

* ``uncounted``: the baseline, the same verifier with its counters switched off (what it did before);
* ``counted``: the verifier as it ships (two counters in one more ``run`` at the start, two
  batched with the read-back when a verification is approved).

Prints pairs per second, CPU milliseconds per pair (less sensitive to load) and the ratio
counted / uncounted; then how long ``stats()`` over 24 hours takes for the purposes seen.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from reliability_overhead import redis_server

from smsgate import Gateway, SQLiteStore, Store, Verifier, VerifyPolicy
from smsgate.providers.memory import MemoryProvider
from smsgate.verify._stats import StatsKeys

KEYS = {"bench": "a benchmark server key of 32+ bytes"}
POLICY = VerifyPolicy(sends_per_phone=None, sends_per_client=None, checks_per_phone=None, checks_per_client=None)


class NoCounters(StatsKeys):
    """Counters that count nothing: what a verifier did before it had them."""

    def started(self, record: Any, retention: float) -> Iterator[Any]:
        return iter(())

    def finished(self, record: Any, status: Any, retention: float) -> list[tuple[str, tuple[Any, ...]]]:
        return []


class Uncounted(Verifier):
    """The baseline: a verifier whose counters are off."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counters = NoCounters(self.store, self.prefix)

    def count(self, record: Any, status: Any) -> Iterator[Any]:  # type: ignore[override]
        return iter(())


def pairs(kind: type[Verifier], store: Store, first: int, n: int) -> tuple[float, float]:
    """Wall and CPU seconds for ``n`` start + check pairs."""
    provider = MemoryProvider()
    with Gateway([provider]) as gateway:
        verifier = kind(gateway, store, keys=KEYS, policy=POLICY)
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(first, first + n):
            v = verifier.start(f"+86138{i:08d}", template="SMS_1", purpose=("login", "signup", "reset")[i % 3])
            verifier.check(v.id, provider.outbox[-1].params["code"])
            provider.outbox.clear()
        return time.perf_counter() - wall, time.process_time() - cpu


@contextmanager
def opened(kind: str) -> Iterator[Store]:
    if kind == "redis":
        from smsgate.stores.redis import RedisStore

        with redis_server() as url:
            store = RedisStore(url)
            yield store
            store.close()
        return
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "bench.sqlite3")
        yield store
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", choices=("sqlite", "redis"), default="sqlite")
    args = parser.parse_args()
    with opened(args.store) as store:
        offset = 0
        for run in range(1, args.runs + 1):
            got = {}
            for name, kind in (("uncounted", Uncounted), ("counted", Verifier)):
                got[name] = pairs(kind, store, offset, args.pairs)
                offset += args.pairs
            line = " | ".join(
                f"{name} {args.pairs / wall:7.1f} pairs/s {cpu / args.pairs * 1000:5.2f} ms CPU/pair"
                for name, (wall, cpu) in got.items()
            )
            ratio = got["uncounted"][0] / got["counted"][0]
            cpu_ratio = got["counted"][1] / got["uncounted"][1]
            print(f"run {run} ({args.store}): {line} | counted/uncounted rate {ratio:.2f}, CPU {cpu_ratio:.2f}")
        with Gateway([MemoryProvider()]) as gateway:
            verifier = Verifier(gateway, store, keys=KEYS, policy=POLICY)
            start = time.perf_counter()
            found = verifier.stats(hours=24)
            took = (time.perf_counter() - start) * 1000
            started = sum(s.counts["started"] for s in found)
            print(f"stats() over 24 hours: {len(found)} purposes, {started} started, {took:.1f} ms")


if __name__ == "__main__":
    main()
