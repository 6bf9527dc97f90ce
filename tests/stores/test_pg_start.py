"""PostgreSQL's ``start``: one statement whether admitted or refused, a refusal changes no row,
async starts share the loop's group commits, and the limit holds across processes."""

from __future__ import annotations

import asyncio
import os
import sys
from functools import partial
from pathlib import Path

import psycopg
import pytest

from smsgate.stores import LogRecord
from smsgate.stores.base import Refusal
from smsgate.stores.postgres import PostgresStore
from tests.stores.test_postgres import scans
from tests.together import run_together
from tests.waits import wait_until


def test_a_start_is_one_statement_and_never_scans(postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Admitted, refused at admission or at a token: each start sends one statement, one commit."""
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    for n in range(40):  # tables large enough that a scan would show
        phones = tuple(f"+861380000{n:02d}{i:02d}" for i in range(50))
        store.write([LogRecord(f"m{n}", "message", f"m{n}", phones, "pending", 1.0, 1.0)])
        store.run([("set", (f"k{n}-{i}", "1", 60.0)) for i in range(50)])
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("ANALYZE smsgate_kv, smsgate_log")
    store.close()
    before = {table: scans(postgres_dsn, table) for table in ("smsgate_kv", "smsgate_log")}
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def counted(conn: psycopg.Connection[object], sql: str, *args: object, **kw: object) -> object:
        sent.append(sql)
        return execute(conn, sql, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    answers = []
    for n in range(20):
        windows = [(f"w{n % 5}", 3, 60.0), (f"h{n}", 50, 3600.0)]
        message = LogRecord(f"x{n}", "message", f"x{n}", ("+8613800138000",), "pending", 1.0, 1.0)
        attempt = LogRecord(f"y{n}", "attempt", f"x{n}", ("+8613800138000",), "pending", 1.0, 1.0, "aliyun")
        token = ("rate", 0.5, 10, 0.0, 1000.0)
        claim, keep = (f"c{n}", "pending", 60.0), (f"c{n}", "x", 60.0)
        started = store.start([f"b{n}"], claim, windows, [token], [message, attempt], keep)
        answers.append((started.refusal is None, started.written))
    monkeypatch.undo()
    assert len(sent) == 20  # one statement a start
    # w0..w4 admit 3 each (15 of 20); the bucket grants 10 of those
    assert answers == [(True, True)] * 10 + [(True, False)] * 5 + [(False, False)] * 5
    store.close()
    for table, (seq, idx) in before.items():
        reported = partial(lambda t, i: scans(postgres_dsn, t)[1] > i, table, idx)
        wait_until(reported, what=f"{table}'s index scans reported")
        assert scans(postgres_dsn, table)[0] == seq, table
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    assert len(store.log_query(limit=1000)) == 40 + 2 * 10
    assert [store.get(f"c{n}") for n in (3, 12, 17)] == ["x", "pending", None]
    store.close()


def table_rows(dsn: str) -> dict[str, int]:
    tables = ("smsgate_kv", "smsgate_log", "smsgate_log_phone", "smsgate_log_ref")
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]


@pytest.mark.parametrize("twin", ["sync", "async"])
def test_a_refused_start_changes_no_row(postgres_dsn: str, twin: str) -> None:
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    store.set("blocked", "1")
    store.set("claim", "pending:other", 60.0)
    assert store.hit([("w", 1, 60.0)]) is None
    before = table_rows(postgres_dsn)
    attempt = LogRecord("a", "attempt", "m", ("+8613800138000",), "pending", 1.0, 1.0, "aliyun")
    attempt.message_ids = {"+8613800138000": "ref-1"}
    token = ("rate", 1.0, 1, 0.0, 1000.0)
    refusals = [(["blocked"], None, []), ([], ("claim", "p", 60.0), []), ([], ("c2", "p", 60.0), [("w", 1, 60.0)])]

    async def astarts() -> list[Refusal | None]:
        answers = [await store.astart(*r, [token], [attempt], ("claim", "x", 60.0)) for r in refusals]
        await store.aclose()
        return [a.refusal for a in answers]

    if twin == "sync":
        answers = [store.start(*r, [token], [attempt], ("claim", "x", 60.0)).refusal for r in refusals]
        store.close()
    else:
        answers = asyncio.run(astarts())
    assert answers == [("blocked", 0), ("claimed", "pending:other"), ("full", 0)]
    assert table_rows(postgres_dsn) == before
    again = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    assert again.reserve(*token) == 0.0 and again.get("claim") == "pending:other"  # no token taken
    again.close()


def test_concurrent_async_starts_share_commits(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)

    async def main() -> list[tuple[bool, bool]]:
        def pending(n: int) -> LogRecord:
            return LogRecord(f"m{n}", "message", f"m{n}", ("+8613800138000",), "pending", 1.0, 1.0)

        starts = [store.astart([], (f"k{n}", "p", 60.0), [("w", 30, 60.0)], [], [pending(n)]) for n in range(60)]
        answers = await asyncio.gather(*starts)
        assert store._awriter is not None and store._awriter.commits < 60
        await store.aclose()
        return [(a.refusal is None, a.written) for a in answers]

    answers = asyncio.run(main())
    assert sorted(answers) == [(False, False)] * 30 + [(True, True)] * 30
    again = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    assert len(again.log_query(limit=100)) == 30 and again.get("w") == "30"
    again.close()


_STARTER = """
import asyncio, sys
from smsgate.stores import LogRecord
from smsgate.stores.postgres import PostgresStore
store = PostgresStore(sys.argv[1], max_connections=4)
print("ready", flush=True)
sys.stdin.readline()
async def one(n):
    record = LogRecord(f"{sys.argv[2]}-{n}", "message", f"{sys.argv[2]}-{n}", ("+8613800138000",), "pending", 1.0, 1.0)
    token = ("rate", 0.001, 1000, 1.0, store.clock())
    started = await store.astart([], None, [("limit:+8613800138000", 5, 60.0)], [token], [record])
    return started.written
async def main():
    written = sum(await asyncio.gather(*(one(n) for n in range(50))))
    await store.aclose()
    return written
print(asyncio.run(main()))
"""


def test_starts_from_four_processes_keep_the_limit_exact(postgres_dsn: str) -> None:
    """4 processes × 50 concurrent starts under one limit of 5: 5 admitted and written in all."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.path.join(root, "src")}
    outputs = run_together([[sys.executable, "-c", _STARTER, postgres_dsn, f"p{n}"] for n in range(4)], env=env)
    written = [int(out) for out in outputs]
    assert sum(written) == 5
    store = PostgresStore(postgres_dsn)
    assert len(store.log_query(limit=1000)) == 5
    store.close()


def test_a_start_with_nothing_to_admit_is_a_write(postgres_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A send log alone: its records in one statement, no admission; nothing at all: no statement."""
    store = PostgresStore(postgres_dsn, clock=lambda: 1000.0)
    sent: list[tuple[object, ...]] = []
    execute = psycopg.Connection.execute

    def counted(conn: psycopg.Connection[object], sql: str, *args: object, **kw: object) -> object:
        sent.append(args)
        return execute(conn, sql, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    pending = LogRecord("p", "message", "p", ("+8613800138000",), "pending", 1.0, 1.0)
    assert store.start([], None, [], [], [pending]) == (None, [], True)
    assert store.start([], None, []) == (None, [], True)
    token = ("rate:t", 10.0, 1, 0.0, 1000.0)
    other = LogRecord("q", "message", "q", ("+8613800138000",), "pending", 1.0, 1.0)
    assert [store.start([], None, [], [token], [r]) for r in (other, other)] == [
        (None, [0.0], True),
        (None, [None], False),
    ]
    monkeypatch.undo()
    assert len(sent) == 3 and '"admit"' not in str(sent)
    assert [r.id for r in store.log_query(limit=10)] == ["p", "q"]
    store.close()
