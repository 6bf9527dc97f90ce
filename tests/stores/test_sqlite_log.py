"""The SQLite send log's writes: many at once give what one by one gives; queued writes share a commit."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.stores import LogRecord, SQLiteStore

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
