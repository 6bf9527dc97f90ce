"""Writes made behind in the SQLite store: carried by the next commit, whoever makes it; committed
after LINGER when nobody does, on close and at exit; visible at once; failing alone, logged."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from smsgate import StoreError
from smsgate.stores import LogRecord, SQLiteStore
from tests.waits import wait_until

ROOT = Path(__file__).resolve().parents[2]


def record(n: int, status: str = "pending", kind: str = "attempt") -> LogRecord:
    return LogRecord(f"r{n}", kind, f"m{n}", ("+8613800138000",), status, 1.0, 1.0, "aliyun")


def in_file(path: Path) -> dict[str, str]:
    """The records' statuses as another connection reads them from the file."""
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT id, status FROM log").fetchall())


@pytest.mark.parametrize("durability", ["machine", "process"])
def test_the_next_operation_carries_it_in_its_commit(tmp_path: Path, durability: str) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability=durability)  # type: ignore[arg-type]
    store.set("warm", "1")
    before = store.commits
    store.write_behind([record(1, "accepted")], keep=("claim", "done", 60.0))
    assert store.commits == before  # returned before any commit
    store.set("k", "v")
    assert store.commits == before + 1
    assert in_file(tmp_path / "s.db") == {"r1": "accepted"}
    store.close()


def test_a_durable_start_carries_it_without_a_commit_or_pragma_of_its_own(tmp_path: Path) -> None:
    """durability="machine": the outcome rides in the next start's fsynced commit, no PRAGMA toggled."""
    store = SQLiteStore(tmp_path / "s.db")
    store.set("warm", "1")
    db = store._writer._db
    assert db is not None
    statements: list[str] = []
    db.set_trace_callback(statements.append)
    store.write_behind([record(1, "accepted")])
    assert store.start([], None, [], [], [record(2)], None).written
    db.set_trace_callback(None)
    assert [s for s in statements if not s.startswith("INSERT")] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert in_file(tmp_path / "s.db") == {"r1": "accepted", "r2": "pending"}
    store.close()


def test_reads_see_it_at_once(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability="process")
    store.write_behind([record(1, "accepted")], keep=("claim", "done", 60.0))
    assert [r.status for r in store.log_query()] == ["accepted"] and store.get("claim") == "done"
    store.write_behind(forget="claim")
    assert store.get("claim") is None
    store.close()


async def test_an_async_round_carries_it(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.aset("warm", "1")
    before = store.commits
    store.write_behind([record(1, "accepted")])
    assert await store.aget("warm") == "1"
    assert store.commits == before + 1 and in_file(tmp_path / "s.db") == {"r1": "accepted"}
    await store.aclose()


def test_committed_after_linger_when_nobody_carries_it(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability="process")
    store.set("warm", "1")
    before = store.commits
    store.write_behind([record(1), record(2)])
    wait_until(lambda: store.commits == before + 1, what="the lingering thread's commit")
    assert in_file(tmp_path / "s.db") == {"r1": "pending", "r2": "pending"}
    store.close()


def test_close_commits_it(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    store.write_behind([record(1, "accepted")])
    store.close()
    assert in_file(tmp_path / "s.db") == {"r1": "accepted"}
    with pytest.raises(StoreError, match="closed"):
        store.write_behind([record(2)])


@pytest.mark.parametrize("carrier", ["set", "start"])
def test_a_failing_carried_write_is_logged_and_fails_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, carrier: str
) -> None:
    """Its carrier succeeds (a start, which writes carried records with its own, too); the other
    writes carried with it land; the log names no phone."""
    store = SQLiteStore(tmp_path / "s.db", durability="process")
    store.log_put(record(1))
    broken = record(2, "accepted")
    broken.kind = None  # type: ignore[assignment]  # NOT NULL: the insert fails
    store.write_behind([record(1, "accepted")])
    store.write_behind([broken], keep=("k", "v", 60.0))
    store.write_behind([record(3, "accepted")])
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        if carrier == "set":
            store.set("other", "1")
        else:
            assert store.start([], ("claim", "c", 60.0), [], [], [record(4)], None).written
    assert store.get("k") is None  # the failing write undone whole
    assert in_file(tmp_path / "s.db") == {"r1": "accepted", "r3": "accepted"} | (
        {"r4": "pending"} if carrier == "start" else {}
    )
    assert "made behind failed" in caplog.text and "+86" not in caplog.text
    store.close()


def test_a_failing_carrier_leaves_it_committed(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db", durability="process")

    def broken(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO kv (key, value) VALUES ('b', '1')")
        raise KeyError("mine")

    store.write_behind([record(1, "accepted")])
    with pytest.raises(KeyError, match="mine"):
        store._call(broken, "broken")
    assert in_file(tmp_path / "s.db") == {"r1": "accepted"} and store.get("b") is None
    store.write_behind([record(2, "accepted")])
    with pytest.raises(AttributeError):  # a start's bad input, found after it took the carried write in
        store.start([], None, [], [], [record(3), None], None)  # type: ignore[list-item]
    assert in_file(tmp_path / "s.db") == {"r1": "accepted", "r2": "accepted"}
    store.close()


_SENDER = """
import sys
from smsgate import Gateway, Message
from smsgate.providers.memory import MemoryProvider
from smsgate.stores import SQLiteStore

store = SQLiteStore(sys.argv[1], durability=sys.argv[2])
with Gateway([MemoryProvider()], send_log=store) as gateway:
    for n in range(int(sys.argv[3])):
        print(gateway.send(Message(f"+86138{n:08d}", template="T")).message_id, flush=True)
"""


@pytest.mark.parametrize("durability", ["machine", "process"])
def test_sigkill_after_send_returned_leaves_each_record_pending_or_final(tmp_path: Path, durability: str) -> None:
    path = tmp_path / "s.db"
    worker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SENDER), str(path), durability, "100000"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    returned = [worker.stdout.readline().strip() for _ in range(200)]
    os.kill(worker.pid, signal.SIGKILL)
    rest, err = worker.communicate(timeout=10)
    assert worker.returncode == -signal.SIGKILL, err
    returned += rest.split()  # printed after their send() returned, before the kill

    store = SQLiteStore(path)
    messages = {r.message_id: r.status for r in store.log_query(limit=10**6) if r.kind == "message"}
    attempts = {r.message_id: r.status for r in store.log_query(limit=10**6) if r.kind == "attempt"}
    assert set(returned) <= messages.keys() and set(returned) <= attempts.keys()
    assert {messages[m] for m in returned} | {attempts[m] for m in returned} <= {"pending", "accepted"}
    assert messages[returned[0]] == "accepted"  # the first outcome was carried by the second send
    store.close()


def test_the_interpreter_exit_commits_it(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    code = (
        "import sys; from smsgate.stores import LogRecord, SQLiteStore;"
        "s = SQLiteStore(sys.argv[1]);"
        "s.write_behind([LogRecord('r1', 'attempt', 'm1', ('+8613800138000',), 'accepted', 1.0, 1.0)])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, timeout=30)
    assert in_file(path) == {"r1": "accepted"}
