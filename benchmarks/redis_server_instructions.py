"""redis-server's work a send, counted in instructions (valgrind's callgrind): free of the machine's load.

Run by hand (never as a test; needs Debian's ``valgrind``)::

    .venv/bin/python benchmarks/redis_server_instructions.py [--messages 2000] [--before 45a8c4a]
        [--layers log,all,start-log,start-all]

For each layer of ``redis_store_alone.py`` it starts a redis-server under callgrind, sends it the
commands of ``--messages`` sends (as ``RedisStore`` builds them, 64 a pipeline) and counts the
instructions it ran, less those of a run with no sends: the server's own cost a send, the same on
a quiet or a loaded machine. ``--before <commit>`` counts ``RedisStore`` as it was at that commit
too (the ``start`` layers only from when ``start`` was one script).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import hiredis
import redis

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from redis_pipelining import store_at
from redis_store_alone import Send
from tests.fixtures.redis import free_port

from smsgate.stores.redis import RedisStore

_VALGRIND = ("valgrind", "--tool=callgrind")
_REDIS_OPTIONS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--hz", "1")


def commands(store: Any, sends: list[Send]) -> list[tuple[Any, ...]]:
    """The commands of each send's store calls, as the store builds them."""
    out = []
    for send in sends:
        if send.starts and send.policies:
            out.append(store._start(*send.started()))
        elif send.starts:  # a send log alone: RedisStore.start calls its write script
            out.append(store._write([send.message, send.attempt], (send.claim, "sent|" + "f" * 60, 300.0), None))
        else:
            if send.policies:
                if hasattr(store, "_admit_args"):  # before the admission took the key prefix in the script
                    out.append(store._script("admit", *store._admit_args(*send.admission())))
                else:
                    out.append(store._admit(*send.admission()))
                out.append(store._script("reserve", [store._k("rate:aliyun")], [1e-9, 10**9, 10.0, send.now]))
            out.append(store._write([send.message, send.attempt], (send.claim, "sent|" + "f" * 60, 300.0), None))
        send.finish()
        out.append(store._write([send.attempt, send.message], (send.claim, "done|" + "f" * 200, 86400.0), None))
    return out


def instructions(make: Any, layer: str, count: int) -> int:
    """The instructions redis-server ran, started, sent ``count`` sends of ``layer`` and shut down."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="smsgate-callgrind-") as tmp:
        server = subprocess.Popen(
            [*_VALGRIND, f"--callgrind-out-file={tmp}/out", "redis-server", "--port", str(port), *_REDIS_OPTIONS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        probe = redis.Redis(port=port)
        deadline = time.monotonic() + 60
        while True:
            try:
                probe.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        store = make(f"redis://127.0.0.1:{port}/0", prefix="p:")
        store.set("warm", "1")  # the scripts loaded: the commands below find them
        store.write(keep=("warm", "1", 1.0))
        store.admit([], None, [("warm:w", 1, 1.0)])
        store.reserve("warm:r", 1.0, 1, 1.0, 1.0)
        packed = [hiredis.pack_command(command) for command in commands(store, [Send(n, layer) for n in range(count)])]
        with socket.create_connection(("127.0.0.1", port)) as sock:
            reader = hiredis.Reader()
            for start in range(0, len(packed), 64):
                batch = packed[start : start + 64]
                sock.sendall(b"".join(batch))
                replies = 0
                while replies < len(batch):
                    reply = reader.gets()
                    if reply is False:
                        reader.feed(sock.recv(1 << 20))
                        continue
                    if isinstance(reply, hiredis.ReplyError):
                        raise RuntimeError(str(reply))
                    replies += 1
        store.close()
        with contextlib.suppress(redis.ConnectionError):  # it may close the connection before answering
            probe.execute_command("SHUTDOWN", "NOSAVE")
        report = server.communicate()[1].decode()
    found = re.search(r"Collected : (\d+)", report)
    assert found, report
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--before", help="a commit whose RedisStore is counted too")
    parser.add_argument("--layers", default="log,all,start-log,start-all")
    args = parser.parse_args()
    makers: dict[str, Any] = {"now": RedisStore}
    if args.before:
        makers[args.before[:7]] = store_at(args.before)
    print(f"{'layer':<11}{'store':<9}{'instructions a send':>20}", flush=True)
    for layer in args.layers.split(","):
        for name, make in makers.items():
            if layer.startswith("start") and not hasattr(make, "_start"):  # before start was one script
                continue
            idle = instructions(make, layer, 0)
            used = instructions(make, layer, args.messages)
            print(f"{layer:<11}{name:<9}{(used - idle) / args.messages:>20,.0f}", flush=True)


if __name__ == "__main__":
    main()
