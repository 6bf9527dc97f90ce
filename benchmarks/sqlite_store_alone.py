"""The SQLite store alone: the calls one send makes, without the gateway, per message.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/sqlite_store_alone.py [--messages 3000] [--rounds 3]
        [--durability process,machine] [--before 45a8c4a]

The sends of ``redis_store_alone.py`` (with fresh ids, as the gateway makes them): ``log`` writes
the message and attempt records before the request and their outcomes after (``lazy``), with the
idempotency claim kept; ``all`` first admits the send (blocklist, claim, three limit windows) and
takes a provider-rate token (4 store calls); ``start`` does the same with
:meth:`~smsgate.stores.Store.start` (2 calls: the start, the lazy outcome). Sync runs one message
after another; async runs 64 at once on one loop. It prints messages a second, this process's CPU
a message (its threads included) and commits a message.
``--before <commit>`` runs ``SQLiteStore`` as it was at that commit in the same rounds (a store
without ``start`` runs the base class's, three calls); the closing table gives each CPU ratio
(now / before).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import at_commit
from redis_pipelining import cpu
from redis_store_alone import IN_FLIGHT, Send

from smsgate._models import new_id
from smsgate.stores.sqlite import SQLiteStore

LAYERS = ("log", "all", "start")


def fresh(n: int, layer: str) -> Send:
    """A send with fresh ids, as the gateway makes them (time-ordered: each lands at the indexes' edge);
    layer ``start`` is every policy through one ``start``."""
    send = Send(n, "start-all" if layer == "start" else layer)
    message_id = new_id()
    send.message.id = send.message.message_id = send.attempt.message_id = message_id
    send.attempt.id = new_id()
    return send


def run_sync(store: Any, count: int, layer: str) -> float:
    """CPU seconds of ``count`` sends, one after another."""
    sends = [fresh(n, layer) for n in range(count)]
    used = cpu()
    for send in sends:
        send.run(store)
    return cpu() - used


def run_async(store: Any, count: int, layer: str) -> float:
    """CPU seconds of ``count`` sends, 64 at a time on one loop."""

    async def main() -> float:
        sends = iter([fresh(n, layer) for n in range(count)])

        async def worker() -> None:
            for send in sends:
                await send.arun(store)

        used = cpu()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        return cpu() - used

    return asyncio.run(main())


def store_at(commit: str) -> type[SQLiteStore]:
    store: type[SQLiteStore] = at_commit.store_at(commit, "sqlite", "SQLiteStore")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--durability", default="process,machine")
    parser.add_argument("--modes", default="sync,async")
    parser.add_argument("--before", help="a commit whose SQLiteStore runs as a baseline")
    args = parser.parse_args()
    n = args.messages
    makers: dict[str, Callable[..., Any]] = {"now": SQLiteStore}
    if args.before:
        makers[args.before[:7]] = store_at(args.before)
    runs: dict[str, Callable[[Any, int, str], float]] = {"sync": run_sync, "async": run_async}
    cpus: dict[tuple[str, str, str, str], list[float]] = {}  # (durability, mode, layer, store): µs a message
    print(f"{'round':<6}{'durab.':<9}{'mode':<7}{'layer':<7}{'store':<9}{'msg/s':>8}", end="")
    print(f"{'CPU µs/msg':>12}{'commits/msg':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        files = iter(range(10**9))
        for round_ in range(1, args.rounds + 1):
            for durability in args.durability.split(","):
                for mode in args.modes.split(","):
                    for layer in LAYERS:
                        for name, make in makers.items():
                            store = make(Path(tmp) / f"s{next(files)}.db", durability=durability)
                            runs[mode](store, 50, layer)  # the connection open, the statements cached
                            commits, start = store.commits, time.perf_counter()
                            used = runs[mode](store, n, layer)
                            elapsed, commits = time.perf_counter() - start, store.commits - commits
                            store.close()
                            cpus.setdefault((durability, mode, layer, name), []).append(used / n * 1e6)
                            print(f"{round_:<6}{durability:<9}{mode:<7}{layer:<7}{name:<9}", end="")
                            print(f"{n / elapsed:>8,.0f}", end="")
                            print(f"{used / n * 1e6:>12,.1f}{commits / n:>13.3f}", flush=True)
    print("\nCPU µs a message, min–max over rounds" + (" (and now / before, round by round)" if args.before else ""))
    for (durability, mode, layer, name), values in sorted(cpus.items()):
        line = f"  {durability:<9}{mode:<7}{layer:<7}{name:<9}{min(values):7.1f}–{max(values):.1f}"
        if args.before and name == "now":
            base = cpus[(durability, mode, layer, args.before[:7])]
            ratios = [a / b for a, b in zip(values, base, strict=True)]
            line += f"   now / before {min(ratios):.2f}–{max(ratios):.2f}"
        print(line)


if __name__ == "__main__":
    main()
