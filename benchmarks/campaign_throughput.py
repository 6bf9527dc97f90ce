"""Campaign throughput: in-process, and on 1, 2 and 3 Celery worker processes, against a local nginx.

Run by hand (never as a test), from the repository root, with the ``test`` extra installed::

    .venv/bin/python benchmarks/campaign_throughput.py [--rows 50000] [--rounds 2]

nginx (pinned to the last CPU) answers every request with Aliyun's OK JSON; redis-server is the
broker and the shared store. Every campaign sends ``--rows`` rows of a CSV, each with its own param,
in messages of 100 (one SendBatchSms each), 8 in flight per process. Baseline, in the same run: the
same batches through ``Gateway.send`` with no campaign at all (no claims, no counts). Each figure is
the best of ``--rounds``; rows/s from the first chunk queued to the campaign ``done``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from aliyun_throughput import AK, SECRET, SIGN, nginx  # noqa: E402
from tests.fixtures.redis import RedisServer  # noqa: E402

from smsgate import Campaign, Campaigns, Gateway, Message  # noqa: E402
from smsgate._config import load_config  # noqa: E402
from smsgate.campaigns import CampaignSettings  # noqa: E402

BATCH, IN_FLIGHT, CHUNK = 100, 8, 1000
_serial = iter(range(10**9))


def write_csv(path: Path, rows: int) -> Path:
    """``rows`` fresh phones (never sent before in this run), each with its own code."""
    start = next(_serial) * 10**6
    with path.open("w", encoding="utf-8") as dst:
        dst.write("phone,code\n")
        for i in range(start, start + rows):
            dst.write(f"13{5 + i // 10**8 % 5}{i % 10**8:08d},{i % 10**6}\n")
    return path


def config(tmp: Path, port: int, store: str, **campaigns: object) -> Path:
    path = tmp / f"smsgate-{len(list(tmp.glob('*.toml')))}.toml"
    settings = {"access_key_id": AK, "access_key_secret": SECRET, "endpoint": f"127.0.0.1:{port}", "sign_name": SIGN}
    lines = [f'store = "{store}"', "send_log = false", "[providers.aliyun]"]
    lines += [*(f'{k} = "{v}"' for k, v in settings.items()), "[campaigns]"]
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in campaigns.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def gateway_only(port: int, source: Path) -> float:
    """The baseline: the same messages, straight through Gateway.send, 8 in flight."""
    lines = source.read_text().splitlines()[1:]
    rows = [line.split(",") for line in lines]
    batches = [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]
    cfg = load_config(config(source.parent, port, store=str(source.parent / "baseline.sqlite3")))
    with cfg.gateway() as gateway, ThreadPoolExecutor(IN_FLIGHT) as pool:
        start = time.perf_counter()

        def one(batch: list[list[str]]) -> None:
            recipient = {p: {"code": c} for p, c in batch}
            gateway.send(Message(to=[p for p, _ in batch], template="SMS_1", recipient_params=recipient))

        list(pool.map(one, batches))
        return time.perf_counter() - start


def in_process(cfg_path: Path, source: Path) -> float:
    cfg = load_config(cfg_path)
    settings = CampaignSettings.of(cfg)
    store = settings.open_store(cfg)
    with settings.gateway(cfg, store) as gateway:
        assert isinstance(gateway, Gateway)
        start = time.perf_counter()
        state = Campaign(source, template="SMS_1", batch_size=BATCH, concurrency=IN_FLIGHT).run(gateway)
        elapsed = time.perf_counter() - start
    store.close()
    assert state.status == "done" and state.counts["accepted"] == state.counts["total"], state.counts
    return elapsed


@contextmanager
def workers(cfg_path: Path, count: int, log: Path) -> Iterator[None]:
    smsgate = Path(sys.executable).with_name("smsgate")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(smsgate), "worker", "--config", str(cfg_path), "--concurrency", str(count)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            yield
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)


def on_workers(cfg_path: Path, source: Path) -> float:
    from smsgate.campaigns.tasks import enqueue

    cfg = load_config(cfg_path)
    store = CampaignSettings.of(cfg).open_store(cfg)
    start = time.perf_counter()
    state = enqueue(Campaign(source, template="SMS_1", batch_size=BATCH, concurrency=IN_FLIGHT), config=cfg)
    campaigns = Campaigns(store)
    while (state := campaigns.get(state.id)).status != "done":
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    store.close()
    assert state.counts["accepted"] == state.counts["total"], state.counts
    return elapsed


def best(rounds: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows, rounds = args.rows, args.rounds
    results: dict[str, float] = {}
    with nginx() as port, tempfile.TemporaryDirectory(prefix="smsgate-campaigns-") as tmp_name:
        tmp = Path(tmp_name)
        redis = RedisServer("/usr/bin/redis-server")
        try:
            results["Gateway.send, no campaign (baseline)"] = best(
                rounds, lambda: gateway_only(port, write_csv(tmp / "b.csv", rows))
            )
            sqlite_cfg = config(tmp, port, store=str(tmp / "state.sqlite3"), batch_size=BATCH, concurrency=IN_FLIGHT)
            results["in-process, SQLite store"] = best(
                rounds, lambda: in_process(sqlite_cfg, write_csv(tmp / "s.csv", rows))
            )
            redis_cfg = config(tmp, port, store=redis.url, broker=redis.url.replace("/0", "/1"), batch_size=BATCH,
                               concurrency=IN_FLIGHT, chunk_size=CHUNK)  # fmt: skip
            results["in-process, Redis store"] = best(
                rounds, lambda: in_process(redis_cfg, write_csv(tmp / "r.csv", rows))
            )
            for count in (1, 2, 3):
                with workers(redis_cfg, count, tmp / f"worker-{count}.log"):
                    on_workers(redis_cfg, write_csv(tmp / "w.csv", 3 * CHUNK))  # warm-up: workers up
                    results[f"Celery, {count} worker process(es)"] = best(
                        rounds, lambda: on_workers(redis_cfg, write_csv(tmp / "w.csv", rows))
                    )
        finally:
            redis.stop()
    base = rows / results["Gateway.send, no campaign (baseline)"]
    print(f"\n{rows:,} rows per campaign, best of {rounds}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}\n")
    print(f"| {'path':<38} | {'rows/s':>9} | {'vs baseline':>11} |\n|{'-' * 40}|{'-' * 11}:|{'-' * 12}:|")
    for name, seconds in results.items():
        rate = rows / seconds
        print(f"| {name:<38} | {rate:>9,.0f} | {rate / base:>10.2f}x |")


if __name__ == "__main__":
    main()
