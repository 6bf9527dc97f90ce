"""Campaigns on a real Celery worker pool (3 processes, Redis broker), one process SIGKILLed midway.

The pool is ``smsgate worker``; the provider is the Aliyun emulator over HTTP on loopback. A
process is killed while it holds a chunk (found by its lease in the store, waited for by progress,
never by time): its chunk is given back and finished by another process, no row is sent twice, and
the campaign's counts match what the emulator received.
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

ROWS = 100_000
BATCH, IN_FLIGHT = 100, 4


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


def kill_a_sending_process(client: redis.Redis, campaign_id: str, pool, deadline: float) -> int:
    """SIGKILL a pool process while it holds a chunk's lease; return its pid."""

    def holder() -> int | None:
        for key in client.scan_iter(f"smsgate:campaign:{campaign_id}:chunk:*:lease"):
            value = client.get(key)
            pid = int(value.decode().rpartition(":")[2]) if value else None
            if pid in children(pool.pid):
                return pid
        return None

    pid = wait_for(holder, deadline, pool, every=0.01)
    os.kill(pid, signal.SIGKILL)
    return pid


def run_and_kill(config_file: Path, pool, campaign: Campaign, redis_server) -> tuple[CampaignState, list[str]]:
    config = load_config(config_file)
    state = enqueue(campaign, config=config)
    assert state.counts["queued"] == ROWS and state.chunks == ROWS // 1000
    store = open_store(redis_server.url)
    campaigns = Campaigns(store)
    deadline = time.monotonic() + 150
    wait_for(lambda: campaigns.get(campaign.id).finished >= ROWS * 0.3, deadline, pool)
    killed = kill_a_sending_process(redis.Redis.from_url(redis_server.url), campaign.id, pool, deadline)
    final = wait_for(lambda: (s := campaigns.get(campaign.id)).status == "done" and s, deadline, pool, every=0.2)
    assert killed not in children(pool.pid)
    recorded = sorted(campaigns.outcomes(campaign.id))
    assert [n for n, _, _ in recorded] == list(range(1, ROWS + 1))
    outcomes = [f"{kind}\t{reason}" if reason else kind for _, kind, reason in recorded]
    store.close()
    print("counts", final.counts)
    return final, outcomes


def phone(i: int) -> str:
    return f"138{i:08d}"


def test_a_killed_worker_sends_nothing_twice_and_no_chunk_is_stuck(config_file, pool, aliyun_server, redis_server):
    rows = [{"phone": phone(i), "code": str(i % 10_000)} for i in range(ROWS)]
    campaign = Campaign(rows, template="SMS_1", chunk_size=1000, batch_size=BATCH, concurrency=IN_FLIGHT)
    final, outcomes = run_and_kill(config_file, pool, campaign, redis_server)

    delivered = Counter(aliyun_server.phones())
    assert set(delivered.values()) == {1}, "a phone got two messages"
    kinds = Counter(o.split("\t", 1)[0] for o in outcomes)
    c = final.counts
    assert c["total"] == c["queued"] == ROWS and c["rejected"] == c["invalid"] == 0
    assert kinds == Counter({"accepted": c["accepted"], "unknown": c["unknown"]})
    assert c["accepted"] + c["unknown"] == ROWS
    assert c["unknown"] <= BATCH * IN_FLIGHT  # at most the killed process's rows in flight
    accepted = {phone(n) for n, o in enumerate(outcomes) if o == "accepted"}
    unknown = {phone(n) for n, o in enumerate(outcomes) if o.startswith("unknown")}
    assert accepted <= set(delivered)  # every accepted row was delivered, once
    assert set(delivered) - accepted <= unknown  # anything else delivered is a row reported unknown
    assert final.chunks_done == final.chunks == ROWS // 1000


def test_a_per_phone_limit_holds_across_workers(config_file, pool, aliyun_server, redis_server):
    phones = ROWS // 4  # each phone 4 times, limit 3
    rows = [{"phone": phone(i % phones)} for i in range(ROWS)]
    campaign = Campaign(rows, template="SMS_1", limits=PhoneLimits(per_day=3), batch_size=BATCH, concurrency=IN_FLIGHT)
    final, outcomes = run_and_kill(config_file, pool, campaign, redis_server)

    delivered = Counter(aliyun_server.phones())
    assert max(delivered.values()) <= 3
    lost = {phone(n % phones) for n, o in enumerate(outcomes) if o.startswith("unknown")}
    assert all(delivered[phone(i)] == 3 for i in range(phones) if phone(i) not in lost)
    refused = sum(1 for o in outcomes if "per_day=3" in o)
    assert phones - len(lost) <= refused <= phones and final.counts["rejected"] == refused
    assert final.counts["accepted"] + final.counts["unknown"] + refused == ROWS
    assert final.chunks_done == final.chunks
