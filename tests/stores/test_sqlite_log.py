"""The SQLite send log's writes: many at once give what one by one gives; queued writes share a commit."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.stores import LogRecord, SQLiteStore, _sqlite_schema
from smsgate.stores._sqlite_log import _grouped
from smsgate.stores._sqlite_schema import GROUP

PHONES = ["+8613800138000", "+8613800138001", "+8613800138002"]

records = st.lists(
    st.builds(
        lambda n, kind, m, phones, status: LogRecord(
            f"r{n}" if kind == "attempt" else f"m{m}",
            kind,
            f"m{m}",
            tuple(phones),
            status,
            float(n),
            float(n),
            "aliyun" if kind == "attempt" else None,
            message_ids={p: f"biz-{n}" for p in phones} if status == "accepted" else {},
        ),
        st.integers(0, 5),
        st.sampled_from(["message", "attempt"]),
        st.integers(0, 2),
        st.lists(st.sampled_from(PHONES), min_size=1, max_size=3, unique=True),
        st.sampled_from(["pending", "accepted"]),
    ),
    max_size=12,
)


def state(store: SQLiteStore) -> list[object]:
    every = [r.to_json() for r in store.log_query(limit=100)]
    return [every, *([r.id for r in store.log_query(phone=p, limit=100)] for p in PHONES)]


def expected(batch: list[LogRecord]) -> list[object]:
    """A model of the log: the last record of each id; a message's phones are those of its first
    record kept (a message record, or an attempt before any record of its message)."""
    last: dict[str, LogRecord] = {}
    indexed: dict[str, set[str]] = {}
    for r in batch:
        if r.id not in last and (r.kind != "attempt" or r.message_id not in last):
            indexed.setdefault(r.message_id, set()).update(r.phones)
        last[r.id] = r
    kept = sorted(last.values(), key=lambda r: r.created_at)  # ties: in the order first kept
    by_phone = [[r.id for r in kept if p in r.phones and p in indexed.get(r.message_id, set())] for p in PHONES]
    return [[r.to_json() for r in kept], *by_phone]


@settings(max_examples=40, deadline=None)
@given(records)
def test_many_at_once_is_one_by_one(batch: list[LogRecord]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        together, apart = SQLiteStore(Path(tmp, "a.db")), SQLiteStore(Path(tmp, "b.db"))
        together.write([r.copy() for r in batch])
        for r in batch:
            apart.log_put(r.copy())
        assert state(together) == state(apart) == expected(batch)
        together.close()
        apart.close()


async def test_queued_writes_share_a_commit_and_a_bad_one_fails_alone(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    good = [LogRecord(f"m{n}", "message", f"m{n}", (PHONES[0],), "pending", 1.0, 1.0) for n in range(100)]
    bad = LogRecord("bad", "message", "bad", (PHONES[1],), "pending", 1.0, 1.0, error={"raw": object()})
    before = store.commits
    writes = [store.awrite([r], keep=(f"k{r.id}", "v", 60.0)) for r in good]
    results = await asyncio.gather(
        *writes[:50], store.awrite([bad], keep=("kbad", "v", 60.0)), *writes[50:], return_exceptions=True
    )
    assert isinstance(results[50], TypeError) and results[:50] + results[51:] == [None] * 100
    assert store.commits - before < 100
    assert len(store.log_query(phone=PHONES[0], limit=1000)) == 100 and store.log_query(phone=PHONES[1]) == []
    assert store.get("km7") == "v" and store.get("kbad") is None
    store.close()


def without_full_text(path: Path) -> SQLiteStore:
    """A store at ``path`` as SQLite built without FTS5 opens it: migration 3 fails for want of the
    module and is skipped as a whole, so the trigger of migration 2 indexes every message."""
    with pytest.MonkeyPatch.context() as patch:
        missing = tuple(m.replace("fts5(", "nofts5(") for m in _sqlite_schema._MIGRATIONS)
        patch.setattr(_sqlite_schema, "_MIGRATIONS", missing)
        patch.setattr(_sqlite_schema, "_OPTIONAL", "no such module: nofts5")
        store = SQLiteStore(path)
    assert store._call(lambda db: _grouped(db), "test") is False
    return store


MANY = [f"+86139{n:08d}" for n in range(GROUP + 10)]
big_records = st.lists(
    st.builds(
        lambda n, phones: LogRecord(f"m{n}", "message", f"m{n}", tuple(phones), "pending", float(n), float(n)),
        st.integers(0, 20),
        st.one_of(
            st.lists(st.sampled_from(MANY), min_size=1, max_size=GROUP + 5, unique=True),
            st.lists(st.sampled_from([*MANY[:GROUP], "alice", "8613900000001"]), min_size=GROUP, unique=True),
        ),
    ),
    max_size=6,
    unique_by=lambda r: r.id,  # a message's phones are those of its first record
)


@settings(max_examples=30, deadline=None)
@given(big_records, st.sampled_from([*MANY[:3], MANY[-1], "alice", "8613900000001", "+8613900000001"]))
def test_a_phone_finds_its_messages_big_or_small_with_or_without_full_text(batch: list[LogRecord], phone: str) -> None:
    expected = sorted({r.id for r in batch if phone in r.phones})
    with tempfile.TemporaryDirectory() as tmp:
        fts, plain = SQLiteStore(Path(tmp, "a.db")), without_full_text(Path(tmp, "b.db"))
        for store in (fts, plain):
            store.write([r.copy() for r in batch])
            assert sorted(r.id for r in store.log_query(phone=phone, limit=100)) == expected
            store.close()


def test_a_big_message_is_one_row_of_the_full_text_index_and_goes_with_prune(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    old = LogRecord("m1", "message", "m1", tuple(MANY), "pending", 1.0, 1.0)
    new = LogRecord("m2", "message", "m2", tuple(MANY[:2]), "pending", 5.0, 5.0)
    attempt = LogRecord("a1", "attempt", "m1", tuple(MANY), "pending", 1.0, 1.0, "aliyun")
    store.write([old, attempt, new])

    def count(table: str) -> int:
        return int(store._call(lambda db: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0], "test"))

    assert count("log_phone_group") == 1 and count("log_message_phone") == 2
    assert [r.id for r in store.log_query(phone=MANY[-1])] == ["m1", "a1"]
    assert [r.id for r in store.log_query(phone=MANY[0])] == ["m1", "a1", "m2"]
    assert store.log_prune(2.0) == 2
    assert count("log_phone_group") == 0 and store.log_query(phone=MANY[-1]) == []
    assert [r.id for r in store.log_query(phone=MANY[0])] == ["m2"]
    store.close()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(MANY[:5]), min_size=1, max_size=5, unique=True),
    st.lists(st.sampled_from(["biz-1", "biz-2"]), min_size=5, max_size=5),
    st.integers(0, 5),
)
def test_message_ids_come_back_as_written(phones: list[str], ids: list[str], given_for: int) -> None:
    """One id for every phone is stored once (``every_message_id``); any other mapping as it is."""
    message_ids = dict(zip(phones[:given_for], ids, strict=False))
    record = LogRecord("a1", "attempt", "m1", tuple(phones), "accepted", 1.0, 2.0, "aliyun", message_ids=message_ids)
    assert LogRecord.from_json(record.to_json(compact=True)) == LogRecord.from_json(record.to_json()) == record
    once = len(message_ids) == len(phones) > 1 and len(set(message_ids.values())) == 1
    assert ("every_message_id" in record.to_json(compact=True)) == once
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp, "s.db"))
        store.write([record.copy()])
        assert store.log_query(message_id="m1") == [record]
        store.close()
