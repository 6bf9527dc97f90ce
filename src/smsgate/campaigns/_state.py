"""A campaign's state in the store: its spec, status, counts, per-row outcomes and rejects.

Everything is kept with the store's own atomic operations, so every process sharing the store
(Redis, PostgreSQL, one SQLite file) sees one campaign:

* ``campaign:<id>`` the spec (JSON); ``…:status`` running / paused / done / failed;
* ``…:n:delivered`` / ``…:n:undelivered`` counters moved by delivery reports, a row once
  (``…:receipt:<row>``), see ``_receipts``;
* ``…:batch:<chunk>:<i>`` a batch's rows: claimed ``pending {"at": […], "lost": …}`` (``add``)
  before its request leaves, then each row's outcome (JSON ``[[row, outcome], …]``: ``accepted``,
  ``unknown\\t<reason>`` or ``rejected\\t<reason>``);
* ``…:row:<row>`` a row counted in its per-phone windows (with limits only, expiring with them);
* ``…:chunk:<n>:queued`` the chunk's source counts and invalid rows, ``…:done`` its outcome counts
  (JSON), each written once, whole; ``…:lease`` who sends it; ``…:chunks`` once all are queued;
* ``…:rejects:<n>`` a chunk's rejects (JSON), ``campaigns:count`` / ``campaigns:<i>`` the listing.

The campaign's counts are the sums of its chunks' counts: each is one write of values read back
from the rows, so a process killed at any point never leaves a count behind or counts twice.
Counts move chunk by chunk.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._errors import InvalidRequest
from .._steps import Call
from ..stores.base import Store
from ._sources import Reject

__all__ = ["COUNTS", "RECEIPTS", "CampaignState", "Campaigns", "Keys", "run_sync", "state_flow"]

T = TypeVar("T")

COUNTS = ("total", "invalid", "queued", "sent", "accepted", "rejected", "unknown", "delivered", "undelivered")
RECEIPTS = ("delivered", "undelivered")  # moved by delivery reports, not by sending
RUNNING, PAUSED, DONE, FAILED = "running", "paused", "done", "failed"
PENDING = "pending"


class Keys:
    """The store keys of one campaign."""

    def __init__(self, campaign_id: str) -> None:
        base = f"campaign:{campaign_id}"
        self.spec, self.status, self.chunks = base, f"{base}:status", f"{base}:chunks"
        self._base = base

    def batch(self, chunk: int, index: int) -> str:
        return f"{self._base}:batch:{chunk}:{index}"

    def chunk(self, number: int, what: str) -> str:
        return f"{self._base}:chunk:{number}:{what}"

    def rejects(self, chunk: int) -> str:
        return f"{self._base}:rejects:{chunk}"

    def out_id(self, chunk: int, index: int) -> str:
        """The reference a batch's message carries to the provider (Aliyun ``OutId``)."""
        return f"{self._base.removeprefix('campaign:')}.{chunk}.{index}"

    def row(self, number: int) -> str:
        """A row's claim on its per-phone windows (taken when it is counted)."""
        return f"{self._base}:row:{number}"

    def receipt(self, number: int) -> str:
        """A row's first final delivery report (so that a row counts once)."""
        return f"{self._base}:receipt:{number}"

    def count(self, name: str) -> str:
        """A counter moved by delivery reports: ``delivered`` or ``undelivered``."""
        return f"{self._base}:n:{name}"


@dataclass(frozen=True)
class CampaignState:
    """A campaign as the store sees it: ``status``, ``counts`` (see :data:`COUNTS`) and chunk progress."""

    id: str
    name: str
    status: str
    counts: dict[str, int]
    chunks: int | None  # known once every chunk is queued
    chunks_done: int
    created_at: float
    spec: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def finished(self) -> int:
        """Rows with a final outcome (sent or not), invalid rows included."""
        c = self.counts
        return c["invalid"] + c["accepted"] + c["rejected"] + c["unknown"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "counts": dict(self.counts),
            "chunks": self.chunks,
            "chunks_done": self.chunks_done,
            "created_at": self.created_at,
            "template": self.spec.get("template"),
            "source": (self.spec.get("source") or {}).get("path"),
        }


def state_flow(store: Store, campaign_id: str) -> Generator[Call, Any, CampaignState]:
    """Read a campaign's state: its spec, status and the sums of its chunks' counts."""
    keys = Keys(campaign_id)
    names = [keys.spec, keys.status, keys.chunks, *(keys.count(n) for n in RECEIPTS)]
    spec, status, chunks, *receipts = yield Call(store, "get_many", (names,))
    if spec is None:
        raise InvalidRequest(f"no campaign {campaign_id!r}", field="campaign")
    data = json.loads(spec)
    counts = dict.fromkeys(COUNTS, 0)
    done = seen = 0
    page = 250
    while True:
        numbers = range(seen, seen + page)
        names = [keys.chunk(n, what) for n in numbers for what in ("queued", "done")]
        values = yield Call(store, "get_many", (names,))
        for queued, finished in zip(values[::2], values[1::2], strict=True):
            if queued is None:
                break
            seen += 1
            for text in (queued, finished):
                for name, n in json.loads(text or "{}").get("counts", {}).items():
                    counts[name] += n
            done += finished is not None
        else:
            continue
        break
    counts.update((name, int(n or 0)) for name, n in zip(RECEIPTS, receipts, strict=True))
    total = None if chunks is None else int(chunks)
    return CampaignState(campaign_id, data.get("name") or campaign_id, status or RUNNING, counts, total, done,
                         float(data.get("created_at", 0.0)), data)  # fmt: skip


def run_sync(flow: Generator[Call, Any, T]) -> T:
    """Run a flow of store calls, blocking."""
    reply: Any = None
    while True:
        try:
            step = flow.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        reply = getattr(step.target, step.name)(*step.args)


class Campaigns:
    """Campaigns kept in a store: ``list``, ``get``, ``pause``, ``resume`` and ``rejects``.

    ``Campaigns(gateway.store).get(campaign_id).counts["accepted"]``
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, campaign_id: str) -> CampaignState:
        """The campaign's state; :class:`InvalidRequest` (field ``campaign``) when there is none."""
        return run_sync(state_flow(self.store, campaign_id))

    def find(self, id_or_name: str) -> CampaignState:
        """The campaign with this id, else the newest of the last 1,000 with this name."""
        try:
            return self.get(id_or_name)
        except InvalidRequest:
            for state in self.list(limit=1000):
                if state.name == id_or_name:
                    return state
            raise

    def list(self, limit: int = 50) -> list[CampaignState]:
        """The newest ``limit`` campaigns, newest first."""
        count = int(self.store.get("campaigns:count") or 0)
        ids = self.store.get_many([f"campaigns:{i}" for i in range(count, max(0, count - limit), -1)])
        return [self.get(i) for i in ids if i is not None]

    def pause(self, campaign_id: str) -> CampaignState:
        """Stop sending new rows (rows in flight finish); :meth:`resume` goes on where it stopped."""
        return self._move(campaign_id, PAUSED, {RUNNING})

    def resume(self, campaign_id: str) -> CampaignState:
        """Mark a paused campaign running again (workers pick its chunks up; in-process, run it again)."""
        return self._move(campaign_id, RUNNING, {PAUSED, FAILED})

    def _move(self, campaign_id: str, status: str, allowed: set[str]) -> CampaignState:
        state = self.get(campaign_id)
        if state.status == status:
            return state
        if state.status not in allowed:
            raise InvalidRequest(f"campaign {campaign_id} is {state.status}: cannot be {status}", field="campaign")
        self.store.set(Keys(campaign_id).status, status)
        return self.get(campaign_id)

    def outcomes(self, campaign_id: str) -> Iterator[tuple[int, str, str]]:
        """``(row, outcome, reason)`` for every sent row of the finished chunks: ``accepted``,
        ``rejected`` or ``unknown`` (invalid rows are in :meth:`rejects`)."""
        keys = Keys(campaign_id)
        state = self.get(campaign_id)
        for chunk in range(state.chunks if state.chunks is not None else state.chunks_done):
            done = self.store.get(keys.chunk(chunk, "done"))
            if done is None:
                continue
            count = json.loads(done)["batches"]
            for text in self.store.get_many([keys.batch(chunk, i) for i in range(count)]):
                for number, value in json.loads(text or "[]"):
                    kind, _, reason = value.partition("\t")
                    yield number, kind, reason.partition("\t")[0]

    def rejects(self, campaign_id: str) -> Iterator[Reject]:
        """Every row that was not sent, chunk by chunk: invalid in the source, refused, or rejected."""
        state = self.get(campaign_id)
        keys = Keys(campaign_id)
        chunks = state.chunks if state.chunks is not None else state.chunks_done
        for start in range(0, chunks, 100):
            for text in self.store.get_many([keys.rejects(n) for n in range(start, min(chunks, start + 100))]):
                for number, phone, reason in json.loads(text or "[]"):
                    yield Reject(number, reason, phone)
