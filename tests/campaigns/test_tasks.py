"""Campaigns on a real Celery worker pool (3 processes, Redis broker), one process SIGKILLed midway.

The pool is ``smsgate worker``; the provider is the Aliyun emulator over HTTP on loopback. A
process is killed while it holds a chunk (found by its lease in the store, waited for by progress,
never by time): its chunk is given back and finished by another process, which looks the killed
process's batches up at the emulator (QuerySendDetails, matched on OutId) and sends what never
arrived: every row is delivered exactly once, and the campaign's counts are the emulator's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from smsgate import PhoneLimits
from smsgate._config import load_config
from smsgate.campaigns import Campaign, Campaigns, CampaignState, open_store
from smsgate.campaigns.tasks import enqueue
from tests.waits import within_one_window

ROWS = 100_000
BATCH, IN_FLIGHT = 100, 4
SETTLE = 1.0  # seconds a lost batch waits before it is looked up (loopback: what left has arrived)


def _toml(values: dict[str, object]) -> str:
    return "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items())


@pytest.fixture
def config_file(tmp_path: Path, redis_server, aliyun_server) -> Path:
    redis_server.flush()
    path = tmp_path / "smsgate.toml"
    campaigns = {"broker": f"redis://127.0.0.1:{redis_server.port}/1", "chunk_size": 1000, "batch_size": BATCH,
                 "concurrency": IN_FLIGHT}  # fmt: skip
    top = {"store": redis_server.url, "send_log": False}
    providers = _toml(aliyun_server.settings())
    path.write_text(f"{_toml(top)}\n[providers.aliyun]\n{providers}\n\n[campaigns]\n{_toml(campaigns)}\n")
    return path


@pytest.fixture
def pool(config_file: Path, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    smsgate = Path(sys.executable).with_name("smsgate")
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [str(smsgate), "worker", "--config", str(config_file), "--concurrency", "3", "--loglevel", "warning"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


def wait_for(what, deadline: float, pool: subprocess.Popen[bytes], every: float = 0.05):
    """Poll ``what()`` until it returns something true; fail at ``deadline`` or if the pool died."""
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        assert pool.poll() is None, "the worker pool exited"
        time.sleep(every)
    raise AssertionError("timed out waiting")


def children(pid: int) -> set[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(p) for p in found}


def kill_a_sending_process(client: redis.Redis, campaign_id: str, pool, deadline: float) -> tuple[int, int]:
    """SIGKILL a pool process while it holds a chunk's lease; return its pid and how many of the
    chunk's batches it left claimed and unrecorded (they stay so until settled, ``SETTLE`` later)."""

    def holder() -> tuple[int, str] | None:
        for key in client.scan_iter(f"smsgate:campaign:{campaign_id}:chunk:*:lease"):
            value, done = client.mget(key, key.replace(b":lease", b":done"))
            pid = int(value.decode().rpartition(":")[2]) if value else None
            if pid in children(pool.pid) and done is None:  # a lease outlives its chunk
                return pid, key.decode().rsplit(":", 2)[1]
        return None

    pid, chunk = wait_for(holder, deadline, pool, every=0.01)
    os.kill(pid, signal.SIGKILL)
    batches = client.scan_iter(f"smsgate:campaign:{campaign_id}:batch:{chunk}:*")
    return pid, sum(1 for key in batches if (client.get(key) or b"").startswith(b"pending"))


def run_and_kill(
    config_file: Path, pool, campaign: Campaign, redis_server, aliyun_server
) -> tuple[CampaignState, list[str]]:
    config = load_config(config_file)
    state = enqueue(campaign, config=config)
    assert state.counts["queued"] == ROWS and state.chunks == ROWS // 1000
    store = open_store(redis_server.url)
    campaigns = Campaigns(store)
    deadline = time.monotonic() + 150
    wait_for(lambda: campaigns.get(campaign.id).finished >= ROWS * 0.3, deadline, pool)
    queries = spy_on_lookups(aliyun_server)
    killed, pending = kill_a_sending_process(redis.Redis.from_url(redis_server.url), campaign.id, pool, deadline)
    final = wait_for(lambda: (s := campaigns.get(campaign.id)).status == "done" and s, deadline, pool, every=0.2)
    assert killed not in children(pool.pid)
    assert len(queries) >= pending  # each row of a batch left pending was looked up before it was decided
    print("batches left pending by the killed process", pending, "rows looked up", len(queries))
    recorded = sorted(campaigns.outcomes(campaign.id))
    assert [n for n, _, _ in recorded] == list(range(1, ROWS + 1))
    outcomes = [f"{kind}\t{reason}" if reason else kind for _, kind, reason in recorded]
    store.close()
    print("counts", final.counts)
    return final, outcomes


def spy_on_lookups(aliyun_server) -> list[str]:
    """The phones the emulator is asked about (QuerySendDetails), as they come."""
    asked: list[str] = []
    query = aliyun_server._query

    def spied(params):
        asked.append(params["PhoneNumber"])
        return query(params)

    aliyun_server._query = spied
    return asked


def phone(i: int) -> str:
    return f"138{i:08d}"


def test_a_killed_worker_sends_nothing_twice_and_no_chunk_is_stuck(config_file, pool, aliyun_server, redis_server):
    rows = [{"phone": phone(i), "code": str(i % 10_000)} for i in range(ROWS)]
    campaign = Campaign(rows, template="SMS_1", chunk_size=1000, batch_size=BATCH, concurrency=IN_FLIGHT,
                        settle_after=SETTLE)  # fmt: skip
    final, outcomes = run_and_kill(config_file, pool, campaign, redis_server, aliyun_server)

    delivered = Counter(aliyun_server.phones())
    assert set(delivered) == {phone(i) for i in range(ROWS)}, "a row was never delivered"
    assert set(delivered.values()) == {1}, "a phone got two messages"
    c = final.counts
    assert c["total"] == c["queued"] == c["sent"] == ROWS and c["rejected"] == c["invalid"] == c["unknown"] == 0
    assert outcomes == ["accepted"] * ROWS and c["accepted"] == len(aliyun_server.delivered)
    assert final.chunks_done == final.chunks == ROWS // 1000


def test_a_per_phone_limit_holds_across_workers(config_file, pool, aliyun_server, redis_server):
    phones = ROWS // 4  # each phone 4 times, limit 3
    within_one_window(86400.0, 180.0)  # the limit counts in real time, in Celery workers
    rows = [{"phone": phone(i % phones)} for i in range(ROWS)]
    campaign = Campaign(rows, template="SMS_1", limits=PhoneLimits(per_day=3), batch_size=BATCH, concurrency=IN_FLIGHT,
                        settle_after=SETTLE)  # fmt: skip
    final, outcomes = run_and_kill(config_file, pool, campaign, redis_server, aliyun_server)

    delivered = Counter(aliyun_server.phones())
    assert delivered == Counter({phone(i): 3 for i in range(phones)}), "the limit did not hold exactly"
    refused = [n for n, o in enumerate(outcomes) if "per_day=3" in o]
    assert len(refused) == phones == final.counts["rejected"]
    assert sorted(n % phones for n in refused) == list(range(phones))  # one refusal per phone
    assert final.counts["accepted"] == 3 * phones == len(aliyun_server.delivered) and final.counts["unknown"] == 0
    assert final.chunks_done == final.chunks
