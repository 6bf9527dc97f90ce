"""SQLite's start: one transaction and one commit a send, starts queued together each judged in turn."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import StoreError
from smsgate.stores import LogRecord, MemoryStore, SQLiteStore, Store
from smsgate.stores.base import Reserve, Window

Step = tuple[list[str], "str | None", list[Window], list[Reserve], bool, float]

starts = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["b1", "b2"]), max_size=2),  # blocklist keys asked
        st.none() | st.sampled_from(["c1", "c2"]),  # the claim (renewed by keep when written)
        st.lists(st.tuples(st.sampled_from(["w1", "w2"]), st.integers(1, 3), st.sampled_from([1.0, 5.0])), max_size=2),
        st.lists(st.tuples(st.sampled_from(["r1", "r2"]), st.sampled_from([0.5, 2.0]), st.integers(1, 2)), max_size=2),
        st.booleans(),  # a blocklist key set first
        st.sampled_from([0.0, 0.5, 2.0]),  # seconds that pass before it
    ),
    max_size=20,
)
KEYS = ["b1", "b2", "c1", "c2", "w1", "w2", "r1", "r2"]


def pending(n: int) -> list[LogRecord]:
    return [LogRecord(f"m{n}", "message", f"m{n}", ("+8613800138000",), "pending", 1.0, 1.0)]


def start(store: Store, n: int, step: Step, now: float) -> object:
    blocked, claim, windows, tokens, _, _ = step
    claiming = None if claim is None else (claim, f"pending{n}", 1.0)
    keep = None if claim is None else (claim, f"sent{n}", 3.0)
    reserves = [(key, interval, burst, 1.0, now) for key, interval, burst in tokens]
    return store.start(blocked, claiming, windows, reserves, pending(n), keep)


def logged(store: Store) -> list[str]:
    return sorted(record.id for record in store.log_query(limit=1000))


@settings(max_examples=60, deadline=None)
@given(starts)
def test_start_matches_the_generic_start(steps: list[Step]) -> None:
    """One transaction answers, counts and writes as the base class's admit, reserve and write in turn."""
    now = [100.0]
    with tempfile.TemporaryDirectory() as tmp:
        sqlite, memory = SQLiteStore(Path(tmp, "s.db"), clock=lambda: now[0]), MemoryStore(clock=lambda: now[0])
        for n, step in enumerate(steps):
            now[0] += step[5]
            if step[4]:
                sqlite.set("b2", "1", ttl=1.0)
                memory.set("b2", "1", ttl=1.0)
            assert start(sqlite, n, step, now[0]) == start(memory, n, step, now[0])
            assert sqlite.get_many(KEYS) == memory.get_many(KEYS)
        assert logged(sqlite) == logged(memory)
        sqlite.close()


@pytest.mark.parametrize("durability", ["machine", "process"])
@settings(max_examples=30, deadline=None)
@given(steps=starts)
def test_starts_queued_together_keep_their_own_outcome(durability: str, steps: list[Step]) -> None:
    """Starts committed together answer as they would one after another, in the order they were queued."""
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SQLiteStore(Path(tmp, "s.db"), clock=lambda: 100.0, durability=durability)  # type: ignore[arg-type]
        memory = MemoryStore(clock=lambda: 100.0)
        sqlite.set("b2", "1")
        memory.set("b2", "1")

        async def together() -> list[object]:
            answers = []
            for n, (blocked, claim, windows, tokens, _, _) in enumerate(steps):
                claiming = None if claim is None else (claim, f"pending{n}", 1.0)
                keep = None if claim is None else (claim, f"sent{n}", 3.0)
                reserves = [(key, interval, burst, 1.0, 100.0) for key, interval, burst in tokens]
                answers.append(sqlite.astart(blocked, claiming, windows, reserves, pending(n), keep))
            return list(await asyncio.gather(*answers))

        commits = sqlite.commits
        answers = asyncio.run(together())
        if durability == "process":  # committed on the loop once its turn is over: one commit for them all
            assert sqlite.commits - commits <= 1
        assert answers == [start(memory, n, step, 100.0) for n, step in enumerate(steps)]
        assert sqlite.get_many(KEYS) == memory.get_many(KEYS) and logged(sqlite) == logged(memory)
        sqlite.close()


@pytest.mark.parametrize("durability", ["machine", "process"])
def test_start_is_one_commit(tmp_path: Path, durability: str) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability=durability)  # type: ignore[arg-type]
    commits = store.commits
    token = ("rate", 1e-3, 5, 1.0, 100.0)
    started = store.start(["b"], ("c", "pending", 60.0), [("w", 5, 60.0)], [token], pending(1), ("c", "sent", 60.0))
    assert started == (None, [0.0], True) and store.commits - commits == 1
    refused = store.start(["b"], ("c", "pending", 60.0), [("w", 5, 60.0)], [token], pending(2), None)
    assert refused == (("claimed", "sent"), [], False) and store.commits - commits == 2
    assert logged(store) == ["m1"] and store.get_many(["c", "w"]) == ["sent", "1"]
    store.close()


async def test_a_failing_start_fails_alone(tmp_path: Path) -> None:
    """A start whose record cannot be written fails with a store error; those committed with it stand."""
    store = SQLiteStore(tmp_path / "s.db", durability="process")
    bad = LogRecord("bad", "message", "bad", ("+1",), "pending", float("nan"), 1.0)
    bad.created_at = None  # type: ignore[assignment]  # NOT NULL in the schema: the insert fails
    results: list[object] = await asyncio.gather(
        store.astart([], ("c1", "p", 60.0), [("w", 5, 60.0)], [], pending(1)),
        store.astart([], ("c2", "p", 60.0), [("w", 5, 60.0)], [], [bad]),
        return_exceptions=True,
    )
    good, broken = results
    assert good == (None, [], True)
    assert isinstance(broken, StoreError)
    assert store.get_many(["c1", "c2", "w"]) == ["p", None, "1"] and logged(store) == ["m1"]
    store.close()


@pytest.mark.parametrize("durability", ["machine", "process"])
def test_pending_records_survive_a_sigkill_once_start_returned(tmp_path: Path, durability: str) -> None:
    path = tmp_path / "s.db"
    code = (
        "import time\n"
        "from smsgate.stores import LogRecord, SQLiteStore\n"
        f"store = SQLiteStore({str(path)!r}, durability={durability!r})\n"
        "record = LogRecord('m', 'attempt', 'm', ('+8613800138000',), 'pending', 1.0, 1.0, provider='p')\n"
        "started = store.start([], ('k', 'pending', 60.0), [('w', 5, 60.0)], [], [record], ('k', 'sent', 60.0))\n"
        "print(started, flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE) as child:
        assert child.stdout is not None and child.stdout.readline() == b"Start(refusal=None, waits=[], written=True)\n"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    store = SQLiteStore(path)
    assert [(r.id, r.status) for r in store.log_query()] == [("m", "pending")]
    assert store.get_many(["k", "w"]) == ["sent", "1"]
    store.close()
