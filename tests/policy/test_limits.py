"""Per-phone limits and provider rates: configuration, windows, and the cross-process guarantee."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from smsgate.policy import PhoneLimits, ProviderRate
from tests.together import run_together

ROOT = Path(__file__).resolve().parents[2]


def test_windows_are_fixed_and_named() -> None:
    limits = PhoneLimits(per_minute=5, per_day=20)
    windows = limits.windows("+8613800138000", 3601.5)
    assert [rule for rule, _ in windows] == ["per_minute", "per_day"]
    (_, (key, limit, ttl)), _ = windows
    assert key == "limit:per_minute:+8613800138000:60" and limit == 5
    assert ttl == pytest.approx(60 - 1.5 + 1.0)  # lives to the end of its minute, plus a second


@pytest.mark.parametrize("bad", [{"per_minute": -1}, {"per_hour": 1.5}])
def test_bad_limits_name_the_field(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        PhoneLimits(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [{"rate": 0}, {"rate": 1, "burst": 0}, {"rate": 1, "max_wait": -1}])
def test_bad_rates_name_the_field(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="ProviderRate"):
        ProviderRate(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["redis", "sqlite", "postgres"])
def test_four_processes_fifty_concurrent_sends_deliver_exactly_five(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """4 processes × 50 concurrent sends to one phone, 5 per minute, one shared store: 5 delivered."""
    urls = {"redis": "redis_url", "postgres": "postgres_dsn"}
    store = request.getfixturevalue(urls[kind]) if kind in urls else str(tmp_path / "state.db")
    sink = tmp_path / "outbox.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.fixtures.limit_worker", store, str(sink)]
    outputs = run_together([command] * 4, env=env, cwd=ROOT)
    counts = [tuple(int(n) for n in out.split()) for out in outputs]
    lines = sink.read_text().splitlines()
    assert len(lines) == 5 and all(json.loads(line)["to"] == "+8613800138000" for line in lines)
    assert sum(a for a, _ in counts) == 5 and sum(r for _, r in counts) == 195
