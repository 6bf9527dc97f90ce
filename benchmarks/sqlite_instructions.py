"""A sequential send's work in the SQLite store, counted in instructions (valgrind's callgrind):
free of the machine's load.

Run by hand (never as a test; needs Debian's ``valgrind``)::

    .venv/bin/python benchmarks/sqlite_instructions.py [--messages 600] [--before 55e137a]
        [--durability process,machine] [--layers log,all]

Each variant runs in a Python under callgrind, once with 100 sends and once with ``--messages``;
the difference a send is the store's own cost (no HTTP, no send flow), split into SQLite's library,
the Python interpreter (smsgate's code and the ``sqlite3`` module's), and the rest (libc, orjson).
A send is what the sync send path asks of its store: ``start`` (layer ``log``: the pending
message and attempt records; ``all``: with the blocklist, the idempotency claim, two limit
windows and a rate token), then ``write_behind`` of the outcome (and the idempotency result).
``floor`` is the same log written by hand with raw ``sqlite3`` (``store_floor.py``'s commit: one
transaction a send holding the pending rows and the previous send's outcome): what any code pays.
``--before <commit>`` counts ``SQLiteStore`` as it was at that commit (``at_commit.py``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

SMALL = 100
_OBJECT = re.compile(r"^\s*([\d,]+) \(.*?\)\s+.*\[(.*)\]\s*$")


def sends(store: Any, count: int, layer: str) -> None:
    """``count`` sequential sends' store calls, with fresh time-ordered ids as the gateway makes them."""
    from smsgate._models import new_id
    from smsgate.stores import LogRecord

    for n in range(count):
        now, message_id, attempt_id, phone = time.time(), new_id(), new_id(), f"+86138{n:08d}"
        message = LogRecord(message_id, "message", message_id, (phone,), "pending", now, now)
        attempt = LogRecord(attempt_id, "attempt", message_id, (phone,), "pending", now, now, "aliyun")
        claim, keyed = f"idem:{message_id}", layer == "all"
        if keyed:
            windows = [(f"lim:m:{phone}", 100, 60.0), (f"lim:h:{phone}", 1000, 3600.0)]
            token = [("rate:aliyun", 1e-9, 10**9, 10.0, now)]
            admission: tuple[Any, ...] = ([f"block:{phone}"], (claim, "pending|" + "f" * 40, 300.0), windows, token)
            assert store.start(*admission, [message, attempt], (claim, "sent|" + "f" * 60, 300.0)).written
        else:
            assert store.start([], None, [], [], [message, attempt], None).written
        for record in (message, attempt):
            record.status, record.updated_at, record.message_ids = "accepted", time.time(), {phone: f"biz-{attempt_id}"}
        store.write_behind([attempt, message], keep=(claim, "done|" + "f" * 200, 86400.0) if keyed else None)


def floor(path: Path, durability: str, count: int) -> None:
    """The same log by hand: one raw commit a send."""
    from store_floor import SQLiteFloor

    with SQLiteFloor(path, "FULL" if durability == "machine" else "NORMAL").sync() as insert:
        for n in range(count):
            insert(f"+86138{n:08d}")


def child(which: str, durability: str, layer: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "state.db")
        if which == "floor":
            floor(path, durability, count)
            return
        if which == "now":
            from smsgate.stores import SQLiteStore as store_class
        else:
            import at_commit

            store_class = at_commit.store_at(which, "sqlite", "SQLiteStore")
        store = store_class(path, durability=durability)
        sends(store, count, layer)
        store.close()


def counted(which: str, durability: str, layer: str, count: int) -> Counter[str]:
    """Instructions of one run under callgrind, by shared object."""
    with tempfile.NamedTemporaryFile(suffix=".callgrind") as out:
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out.name}", sys.executable, __file__]
        subprocess.run([*command, "--child", which, durability, layer, str(count)], check=True, capture_output=True)
        annotated = subprocess.run(
            ["callgrind_annotate", "--inclusive=no", "--threshold=100", out.name], capture_output=True, text=True
        )
    objects: Counter[str] = Counter()
    for line in annotated.stdout.splitlines():
        match = _OBJECT.match(line)
        if match:
            name = match.group(2).rsplit("/", 1)[-1]
            kind = "sqlite" if name.startswith("libsqlite3") else "python" if "python3" in name else "other"
            objects[kind] += int(match.group(1).replace(",", ""))
    return objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--before", help="a commit whose SQLiteStore is counted too")
    parser.add_argument("--durability", default="process,machine")
    parser.add_argument("--layers", default="log,all")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        which, durability, layer, count = args.child
        child(which, durability, layer, int(count))
        return
    n = args.messages
    print(f"{'durab.':<9}{'layer':<6}{'store':<9}{'instr./send':>12}", end="")
    print(f"{'sqlite':>9}{'python':>9}{'other':>9}{'/ floor':>9}")
    for durability in args.durability.split(","):
        base = None
        for layer in args.layers.split(","):
            variants = ["floor"] * (layer == "log") + [*([args.before] if args.before else []), "now"]
            for which in variants:
                big, small = counted(which, durability, layer, n), counted(which, durability, layer, SMALL)
                each = {kind: (big[kind] - small[kind]) / (n - SMALL) for kind in ("sqlite", "python", "other")}
                total = sum(each.values())
                base = total if which == "floor" else base
                ratio = f"{total / base:9.2f}" if base else ""
                print(f"{durability:<9}{layer:<6}{which[:8]:<9}{total:>12,.0f}", end="")
                print(f"{each['sqlite']:>9,.0f}{each['python']:>9,.0f}{each['other']:>9,.0f}{ratio}", flush=True)


if __name__ == "__main__":
    main()
