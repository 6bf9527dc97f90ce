"""Campaign throughput: in-process, and on 1, 2 and 3 Celery worker processes, against a local nginx.

Run by hand (never as a test), from the repository root, with the ``test`` extra installed::

    .venv/bin/python benchmarks/campaign_throughput.py [--rows 50000] [--rounds 3] [--workers 1,2,3]

nginx (pinned to the last CPU) answers every request with Aliyun's OK JSON; redis-server is the
broker and the shared store. Every campaign sends ``--rows`` rows of a CSV, each with its own param,
in messages of 100 (one SendBatchSms each), 8 in flight per process. Baseline, in the same run: the
same batches through ``Gateway.send`` with no campaign at all (no claims, no counts). The paths are
interleaved, round after round (a Celery pool is started, warmed up and stopped for each of its
runs); each row of the table is the median of ``--rounds`` with the slowest and fastest, rows/s from
the first chunk queued to the campaign ``done``, and, in-process, the process's CPU time per row.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
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
BASELINE = "Gateway.send, no campaign (baseline)"
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


Measure = Callable[[], tuple[float, float]]  # (seconds, CPU seconds of this process)


def timed(run: Callable[[], float]) -> Measure:
    def measure() -> tuple[float, float]:
        cpu = time.process_time()
        seconds = run()
        return seconds, time.process_time() - cpu

    return measure


def pool_of(count: int, cfg: Path, tmp: Path, rows: int) -> Measure:
    def measure() -> tuple[float, float]:
        with workers(cfg, count, tmp / f"worker-{count}.log"):
            on_workers(cfg, write_csv(tmp / "w.csv", 3 * CHUNK))  # warm-up: workers up
            return on_workers(cfg, write_csv(tmp / "w.csv", rows)), float("nan")

    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="1,2,3", help="Celery pool sizes to measure")
    args = parser.parse_args()
    rows, rounds = args.rows, args.rounds
    results: dict[str, list[tuple[float, float]]] = {}
    with nginx() as port, tempfile.TemporaryDirectory(prefix="smsgate-campaigns-") as tmp_name:
        tmp = Path(tmp_name)
        redis = RedisServer("/usr/bin/redis-server")
        try:
            sqlite_cfg = config(tmp, port, store=str(tmp / "state.sqlite3"), batch_size=BATCH, concurrency=IN_FLIGHT)
            redis_cfg = config(tmp, port, store=redis.url, broker=redis.url.replace("/0", "/1"), batch_size=BATCH,
                               concurrency=IN_FLIGHT, chunk_size=CHUNK)  # fmt: skip
            paths: dict[str, Measure] = {
                BASELINE: timed(lambda: gateway_only(port, write_csv(tmp / "b.csv", rows))),
                "in-process, SQLite store": timed(lambda: in_process(sqlite_cfg, write_csv(tmp / "s.csv", rows))),
                "in-process, Redis store": timed(lambda: in_process(redis_cfg, write_csv(tmp / "r.csv", rows))),
                **{
                    f"Celery, {n} worker process(es)": pool_of(n, redis_cfg, tmp, rows)
                    for n in map(int, args.workers.split(","))
                },
            }
            for round_ in range(rounds):
                for name, measure in paths.items():
                    results.setdefault(name, []).append(measure())
                    print(f"round {round_ + 1}: {name}: {rows / results[name][-1][0]:,.0f} rows/s", flush=True)
        finally:
            redis.stop()
    print(f"\n{rows:,} rows per campaign, {rounds} interleaved rounds, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}\n")  # fmt: skip
    base = rows / statistics.median(s for s, _ in results[BASELINE])
    head = ("rows/s (median)", "slowest-fastest", "vs baseline", "CPU µs/row")
    print(f"| {'path':<38} | {head[0]:>15} | {head[1]:>17} | {head[2]:>11} | {head[3]:>10} |")
    print(f"|{'-' * 40}|{'-' * 16}:|{'-' * 18}:|{'-' * 12}:|{'-' * 11}:|")
    for name, runs in results.items():
        rates = sorted(rows / s for s, _ in runs)
        rate = statistics.median(rates)
        cpu = statistics.median(c for _, c in runs) / rows * 1e6
        spread = f"{rates[0]:,.0f}-{rates[-1]:,.0f}"
        print(f"| {name:<38} | {rate:>15,.0f} | {spread:>17} | {rate / base:>10.2f}x | {cpu:>10.0f} |")


if __name__ == "__main__":
    main()
