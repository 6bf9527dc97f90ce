"""A campaign's state in the store: its spec, status, counts, per-row outcomes and rejects.

Everything is kept with the store's own atomic operations, so every process sharing the store
(Redis, PostgreSQL, one SQLite file) sees one campaign:

* ``campaign:<id>`` the spec (JSON); ``…:status`` running / paused / done / failed;
* ``…:n:<count>`` counters: total, invalid, queued, sent, accepted, rejected, unknown, delivered;
* ``…:row:<n>`` row ``n``'s outcome: claimed ``pending`` (``add``) before its request leaves, then
  ``accepted``, ``unknown``, ``rejected\\t<reason>`` or ``invalid\\t<reason>``;
* ``…:chunk:<n>:queued`` / ``…:done`` / ``…:lease`` per chunk, ``…:chunks`` once every chunk is queued;
* ``…:rejects:<n>`` a chunk's rejects (JSON), ``campaigns:count`` / ``campaigns:<i>`` the listing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import InvalidRequest
from ..stores.base import Store
from ._sources import Reject

__all__ = ["COUNTS", "CampaignState", "Campaigns", "Keys"]

COUNTS = ("total", "invalid", "queued", "sent", "accepted", "rejected", "unknown", "delivered")
RUNNING, PAUSED, DONE, FAILED = "running", "paused", "done", "failed"
PENDING = "pending"


class Keys:
    """The store keys of one campaign."""

    def __init__(self, campaign_id: str) -> None:
        base = f"campaign:{campaign_id}"
        self.spec, self.status, self.chunks = base, f"{base}:status", f"{base}:chunks"
        self._base = base

    def count(self, name: str) -> str:
        return f"{self._base}:n:{name}"

    def row(self, number: int) -> str:
        return f"{self._base}:row:{number}"

    def chunk(self, number: int, what: str) -> str:
        return f"{self._base}:chunk:{number}:{what}"

    def rejects(self, chunk: int) -> str:
        return f"{self._base}:rejects:{chunk}"


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


def state_of(campaign_id: str, spec: str | None, values: Sequence[str | None]) -> CampaignState:
    """Build the state from :func:`state_keys`' values."""
    if spec is None:
        raise InvalidRequest(f"no campaign {campaign_id!r}", field="campaign")
    data = json.loads(spec)
    status, chunks, done, *counts = values
    return CampaignState(
        campaign_id,
        data.get("name") or campaign_id,
        status or RUNNING,
        {name: int(v or 0) for name, v in zip(COUNTS, counts, strict=True)},
        None if chunks is None else int(chunks),
        int(done or 0),
        float(data.get("created_at", 0.0)),
        data,
    )


def state_keys(keys: Keys) -> list[str]:
    return [keys.spec, keys.status, keys.chunks, keys.count("chunks_done"), *(keys.count(n) for n in COUNTS)]


class Campaigns:
    """Campaigns kept in a store: ``list``, ``get``, ``pause``, ``resume`` and ``rejects``.

    ``Campaigns(gateway.store).get(campaign_id).counts["accepted"]``
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, campaign_id: str) -> CampaignState:
        """The campaign's state; :class:`InvalidRequest` (field ``campaign``) when there is none."""
        spec, *values = self.store.get_many(state_keys(Keys(campaign_id)))
        return state_of(campaign_id, spec, values)

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

    def rejects(self, campaign_id: str) -> Iterator[Reject]:
        """Every row that was not sent, chunk by chunk: invalid in the source, refused, or rejected."""
        state = self.get(campaign_id)
        keys = Keys(campaign_id)
        chunks = state.chunks if state.chunks is not None else int(self.store.get(keys.count("chunks_seen")) or 0)
        for start in range(0, chunks, 100):
            for text in self.store.get_many([keys.rejects(n) for n in range(start, min(chunks, start + 100))]):
                for number, phone, reason in json.loads(text or "[]"):
                    yield Reject(number, reason, phone)
