"""PostgreSQL's writes behind: carried by the store's next statement, else made after LINGER or on
close, seen by reads, and a failing one logged without failing its carrier or hiding a record."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import psycopg
import pytest

from smsgate.stores import LogRecord, _pg_behind, _pg_schema, base
from smsgate.stores._pg_schema import MIGRATIONS
from smsgate.stores.postgres import PostgresStore
from tests.fixtures.postgres import PostgresServer
from tests.waits import await_until, wait_until

PHONE = "+8613800138000"


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement a ``psycopg.Connection`` sends from now on, counted on the client."""
    sent: list[str] = []
    execute = psycopg.Connection.execute

    def counting(self: psycopg.Connection[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counting)
    return sent


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes behind wait a minute for a carrier (no test here lasts that long)."""
    monkeypatch.setattr(base, "LINGER", 60.0)


def pending(name: str, phone: str = PHONE) -> tuple[LogRecord, LogRecord]:
    message = LogRecord(name, "message", name, (phone,), "pending", 1.0, 1.0)
    return message, LogRecord(f"{name}-a", "attempt", name, (phone,), "pending", 1.0, 1.0, "aliyun")


def finished(records: tuple[LogRecord, LogRecord]) -> list[LogRecord]:
    done = [record.copy() for record in records]
    for record in done:
        record.status, record.updated_at = "accepted", 2.0
    return done


def statuses(dsn: str) -> dict[str, str]:
    """The send log as another process reads it."""
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute("SELECT id, status FROM smsgate_log").fetchall())


def test_carried_by_the_next_statement(postgres_dsn: str, patient: None, statements: list[str]) -> None:
    store = PostgresStore(postgres_dsn)
    first = pending("m1")
    assert store.start([], None, [], [], first).written
    statements.clear()
    store.write_behind(finished(first), keep=("idem:1", "done", 60.0))
    assert statements == []  # returned before anything was sent
    assert statuses(postgres_dsn) == {"m1": "pending", "m1-a": "pending"}
    statements.clear()
    assert store.start([], None, [("w", 5, 60.0)], [], pending("m2")).written
    assert statements == ["SELECT smsgate_apply(%s::jsonb, %s::jsonb, %s::text)"]  # start and outcome: one
    assert statuses(postgres_dsn) == {"m1": "accepted", "m1-a": "accepted", "m2": "pending", "m2-a": "pending"}
    assert store.get("idem:1") == "done"
    store.close()


def test_made_after_linger_when_nothing_carries_it(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    store.write(records)
    store.write_behind(finished(records))
    wait_until(lambda: statuses(postgres_dsn)["m"] == "accepted", what="the write behind made by its thread")
    assert statuses(postgres_dsn) == {"m": "accepted", "m-a": "accepted"}
    store.close()


def test_made_on_close(postgres_dsn: str, patient: None) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    store.write(records)
    store.write_behind(finished(records), forget="idem:gone")
    assert statuses(postgres_dsn)["m"] == "pending"
    store.close()
    assert statuses(postgres_dsn) == {"m": "accepted", "m-a": "accepted"}


def test_reads_see_it(postgres_dsn: str, patient: None) -> None:
    store = PostgresStore(postgres_dsn)
    store.set("idem:k", "claimed", 60.0)
    records = pending("m")
    store.write(records)
    store.write_behind(finished(records), keep=("idem:k", "result", 60.0))
    assert [r.status for r in store.log_query(message_id="m")] == ["accepted", "accepted"]
    store.write_behind(forget="idem:k")
    assert store.get_many(["idem:k"]) == [None]  # a plain query: the writes behind are made first
    store.close()


async def test_async_reads_see_a_sync_write_behind(postgres_dsn: str, patient: None) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    store.write(records)
    store.write_behind(finished(records))
    assert [r.status for r in await store.alog_query(message_id="m")] == ["accepted", "accepted"]
    await store.aclose()


def test_a_claim_kept_behind_answers_the_next_start_of_its_key(postgres_dsn: str, patient: None) -> None:
    store = PostgresStore(postgres_dsn)
    assert store.start([], ("idem:k", "pending|f", 60.0), [], [], pending("m")).written
    store.write_behind(finished(pending("m")), keep=("idem:k", "result|f", 60.0))
    started = store.start([], ("idem:k", "pending|f", 60.0), [], [], pending("n"))
    assert started.refusal == ("claimed", "result|f") and not started.written
    store.close()


@pytest.mark.parametrize("fault", ["a NaN time (a NOT NULL column)", "a NUL in a phone (not valid jsonb)"])
def test_a_failing_carried_write_is_logged_and_spares_its_carrier(
    postgres_dsn: str, patient: None, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    store.write(records)
    bad = finished(records)
    if fault.startswith("a NaN"):
        bad[1].created_at = float("nan")  # JSON null: the attempt's row refuses it
    else:
        bad[1].phones = ("+86138\x00",)
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        store.write_behind(bad)
        assert store.start([], None, [("w", 5, 60.0)], [], pending("n")).written  # the carrier is made
    assert statuses(postgres_dsn) == {"m": "pending", "m-a": "pending", "n": "pending", "n-a": "pending"}
    assert store.get("w") == "1"
    assert "write behind failed" in caplog.text and "its 2 operations were not made" in caplog.text
    assert "+86138" not in caplog.text
    store.close()


def test_a_failing_carrier_hands_its_carried_writes_to_the_thread(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    store.write(records)
    store.write_behind(finished(records))
    bad = pending("n")
    bad[0].created_at = float("nan")  # the carrier's own record fails: the whole statement fails
    with pytest.raises(Exception, match="created_at"):
        store.start([], None, [], [], bad)
    wait_until(lambda: statuses(postgres_dsn).get("m") == "accepted", what="the carried write made alone")
    assert "n" not in statuses(postgres_dsn)
    store.close()


def test_the_server_killed_with_a_write_behind(own_postgres: PostgresServer, caplog: pytest.LogCaptureFixture) -> None:
    store = PostgresStore(own_postgres.dsn(), timeout=2.0)
    records = pending("m")
    assert store.start([], None, [], [], records).written
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        own_postgres.kill()
        store.write_behind(finished(records))  # returns: the failure comes later, to the log
        wait_until(lambda: "write behind failed" in caplog.text, what="the lost write behind logged")
    assert PHONE not in caplog.text
    store.close()
    own_postgres.start()
    assert statuses(own_postgres.dsn()) == {"m": "pending", "m-a": "pending"}  # reads as unknown, honestly


def test_a_version_3_schema_is_migrated_and_its_processes_keep_working(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, patient: None
) -> None:
    monkeypatch.setattr(_pg_schema, "MIGRATIONS", MIGRATIONS[:3])
    old = PostgresStore(postgres_dsn)
    assert old.schema_version == 3
    records = pending("m")
    assert old.start([], None, [("w", 5, 60.0)], [], records).written
    monkeypatch.setattr(_pg_schema, "MIGRATIONS", MIGRATIONS)
    new = PostgresStore(postgres_dsn)
    assert new.schema_version == len(MIGRATIONS) == 4
    assert old.start([], None, [("w", 5, 60.0)], [], pending("o")).written  # a version-3 batch still runs
    new.write_behind(finished(records))
    assert new.start([], None, [("w", 5, 60.0)], [], pending("n")).written
    made = {"m": "accepted", "m-a": "accepted"}
    assert statuses(postgres_dsn) == dict.fromkeys(("o", "o-a", "n", "n-a"), "pending") | made
    assert new.get("w") == "3"
    old.close()
    new.close()


def test_linger_is_the_base_contract_s(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[list[Any]] = []
    monkeypatch.setattr(base, "LINGER", 0.05)
    behind = _pg_behind.Behind(made.append)
    behind.add([])  # nothing yet to flush; the thread starts
    assert behind._linger == 0.05
    behind.close()
    assert made == [] and behind.flushed == 0


@pytest.fixture
def astatements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement a ``psycopg.AsyncConnection`` sends from now on, counted on the client."""
    sent: list[str] = []
    execute = psycopg.AsyncConnection.execute

    async def counting(self: psycopg.AsyncConnection[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "execute", counting)
    return sent


async def test_async_carried_by_the_loop_s_next_commit(
    postgres_dsn: str, patient: None, astatements: list[str]
) -> None:
    store = PostgresStore(postgres_dsn)
    first = pending("m1")
    assert (await store.astart([], None, [], [], first)).written
    astatements.clear()
    await store.awrite_behind(finished(first), keep=("idem:1", "done", 60.0))
    assert astatements == [] and statuses(postgres_dsn)["m1"] == "pending"
    assert (await store.astart([], None, [("w", 5, 60.0)], [], pending("m2"))).written
    assert len(astatements) == 1  # the start carried the outcome: one statement, one commit
    assert statuses(postgres_dsn) == {"m1": "accepted", "m1-a": "accepted", "m2": "pending", "m2-a": "pending"}
    assert await store.aget("idem:1") == "done"
    await store.aclose()


async def test_async_made_after_linger_on_aclose_and_seen_by_reads(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    await store.awrite(records)
    await store.awrite_behind(finished(records))
    await await_until(lambda: statuses(postgres_dsn)["m"] == "accepted", what="the write behind made after LINGER")
    monkeypatch.setattr(base, "LINGER", 60.0)
    second = pending("n")
    await store.awrite(second)
    await store.awrite_behind(finished(second))
    assert [r.status for r in await store.alog_query(message_id="n")] == ["accepted", "accepted"]
    third = pending("o")
    await store.awrite(third)
    await store.awrite_behind(finished(third))
    await store.aclose()
    assert statuses(postgres_dsn)["o"] == "accepted"


async def test_async_a_failing_write_behind_is_logged_and_spares_the_batch(
    postgres_dsn: str, patient: None, caplog: pytest.LogCaptureFixture
) -> None:
    store = PostgresStore(postgres_dsn)
    records = pending("m")
    await store.awrite(records)
    bad = finished(records)
    bad[1].created_at = float("nan")
    with caplog.at_level(logging.WARNING, logger="smsgate"):
        await store.awrite_behind(bad)
        assert (await store.astart([], None, [("w", 5, 60.0)], [], pending("n"))).written
        await store.aclose()
    assert statuses(postgres_dsn) == {"m": "pending", "m-a": "pending", "n": "pending", "n-a": "pending"}
    assert "write behind failed" in caplog.text and PHONE not in caplog.text


def test_a_store_never_closed_makes_its_writes_behind_at_exit(postgres_dsn: str) -> None:
    script = f"""
from smsgate.stores import LogRecord, base
from smsgate.stores.postgres import PostgresStore
base.LINGER = 600.0  # only the exit makes it
store = PostgresStore({postgres_dsn!r})
record = LogRecord("m", "message", "m", ("{PHONE}",), "pending", 1.0, 1.0)
store.write([record])
record.status = "accepted"
store.write_behind([record])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert statuses(postgres_dsn) == {"m": "accepted"}
