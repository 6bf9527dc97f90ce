"""Delivery receipts parsed, verified and recorded per second.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/receipts_throughput.py [--receipts 3000] [--repeat 3]

The send log is filled first with one sent message per receipt (a message record and an attempt
record carrying the provider's message id), so that every receipt is matched and updates a
message's ``deliveries``. Two kinds of push: Twilio status callbacks (one per request, each
HMAC-SHA1 signed, so a replay mark is stored too) and Aliyun ``SmsReport`` batches of 100 (a path
token, no signature). Baselines in the same run: a bare loop that only checks the Twilio signature
and parses the form with the standard library, and ``parse_push`` without any store. Then
``Receipts.handle`` with ``MemoryStore``, ``SQLiteStore`` (a temporary file) and ``RedisStore``
(a local ``redis-server`` on a free port, started here). Prints receipts per second and ratios.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).parent))
from reliability_overhead import redis_server

from smsgate import MemoryStore, SQLiteStore, Store
from smsgate.emulators.receipts import Outgoing, aliyun_report, twilio_post, twilio_status
from smsgate.receipts import Receipts, parse_push, receipt_parser
from smsgate.stores.base import LogRecord

TOKEN = "bench-auth-token"
TWILIO_URL = "https://example.com/receipts/twilio"
ALIYUN_URL = "https://example.com/receipts/aliyun/bench-path-token"
BATCH = 100


def phone(i: int) -> str:
    return f"+86138{i:08d}"


def fill(store: Store, n: int) -> None:
    """One sent message per receipt: twilio SIDs SM<i>, aliyun BizIds B<i>."""
    now = time.time()
    for i in range(n):
        for alias, provider_id in (("twilio", f"SM{i:032d}"), ("aliyun", f"B{i}")):
            mid = f"{alias}-{i}"
            store.log_put(LogRecord(mid, "message", mid, (phone(i),), "accepted", now, now))
            attempt = LogRecord(f"a-{mid}", "attempt", mid, (phone(i),), "accepted", now, now, alias, 1)
            attempt.message_ids = {phone(i): provider_id}
            store.log_put(attempt)


def twilio_pushes(n: int) -> list[Outgoing]:
    return [twilio_post(TWILIO_URL, TOKEN, twilio_status("AC1", f"SM{i:032d}", phone(i))) for i in range(n)]


def aliyun_pushes(n: int) -> list[Outgoing]:
    rows = [aliyun_report(phone(i)[3:], f"B{i}") for i in range(n)]
    return [
        Outgoing("POST", ALIYUN_URL, {"Content-Type": "application/json"}, json.dumps(rows[i : i + BATCH]).encode())
        for i in range(0, n, BATCH)
    ]


def bare_twilio(pushes: list[Outgoing]) -> float:
    """The floor: check each signature and parse each form with the standard library, nothing else."""
    start = time.perf_counter()
    for p in pushes:
        form = parse_qsl(p.body.decode())
        data = TWILIO_URL + "".join(k + v for k, v in sorted(form))
        digest = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
        assert hmac.compare_digest(digest, p.headers["X-Twilio-Signature"])
    return time.perf_counter() - start


def parse_only(alias: str, pushes: list[Outgoing], settings: dict[str, Any]) -> float:
    parser = receipt_parser(alias, settings)  # configured once, as Receipts does
    start = time.perf_counter()
    for p in pushes:
        parse_push(parser, p.method, p.url, p.headers, p.body)
    return time.perf_counter() - start


def bare_aliyun(pushes: list[Outgoing]) -> float:
    """The floor: check the path token and decode each batch with the standard library, nothing else."""
    start = time.perf_counter()
    for p in pushes:
        assert hmac.compare_digest(p.url.rpartition("/")[2], "bench-path-token")
        assert isinstance(json.loads(p.body), list)
    return time.perf_counter() - start


def handled(alias: str, pushes: list[Outgoing], receipts: Receipts) -> float:
    start = time.perf_counter()
    for p in pushes:
        assert receipts.handle(alias, p.method, p.url, p.headers, p.body).reply.status == 200
    return time.perf_counter() - start


def best(run: Callable[[], float], count: int, repeat: int) -> float:
    return max(count / run() for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--receipts", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, r = args.receipts, args.repeat
    settings = {"twilio": {"auth_token": TOKEN}, "aliyun": {"path_token": "bench-path-token"}}
    pushes = {"twilio": twilio_pushes(n), "aliyun": aliyun_pushes(n)}

    from smsgate.stores.redis import RedisStore

    with redis_server() as url, tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
        counter = iter(range(10**6))

        def store(kind: str) -> Store:
            made: Store = {
                "memory": MemoryStore,
                "sqlite": lambda: SQLiteStore(str(Path(tmp, f"log-{next(counter)}.db"))),
                "redis": lambda: RedisStore(url, prefix=f"bench{next(counter)}:"),
            }[kind]()
            fill(made, n)
            return made

        def fresh(kind: str) -> Receipts:
            log = store(kind)
            return Receipts(settings, send_log=log, store=log)

        print(f"{'push':<26}{'path':<28}{'receipts/s':>12}{'vs parse only':>15}")
        for alias in ("twilio", "aliyun"):
            runs: dict[str, Callable[[], float]] = {}
            if alias == "twilio":
                runs["bare stdlib verify+parse"] = lambda: bare_twilio(pushes["twilio"])
            else:
                runs["bare stdlib token+json"] = lambda: bare_aliyun(pushes["aliyun"])
            runs["parse_push, no store"] = lambda: parse_only(alias, pushes[alias], settings[alias])  # noqa: B023
            for kind in ("memory", "sqlite", "redis"):
                runs[f"handle + {kind} send log"] = lambda k=kind: handled(alias, pushes[alias], fresh(k))  # type: ignore[misc]  # noqa: B023
            base = 0.0
            for name, run in runs.items():
                rate = best(run, n, r)
                base = rate if name.startswith("parse_push") else base
                ratio = f"{rate / base:>15.2f}" if base else f"{'':>15}"
                label = f"{alias} ({'1' if alias == 'twilio' else BATCH}/push)"
                print(f"{label:<26}{name:<28}{rate:>12,.0f}{ratio}")


if __name__ == "__main__":
    main()
