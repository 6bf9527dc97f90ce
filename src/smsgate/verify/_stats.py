"""Verification counts by purpose and status over time, kept in store counters (never a code).

Only ``incr``, ``add``, ``set`` and ``get_many`` are used, so every store keeps them:

* ``stats:<purpose>:<hour>:<status>``: verifications started in that hour (``started``) and, of
  those, the ones that became ``approved``, ``canceled`` or ``max_attempts_reached``; each counted
  once, when its terminal status was written with ``add`` (only the first one wins);
* ``stats:<purpose>:open:<minute>``: verifications expiring in that minute and not yet finished
  (one up at the start, one down at the end): those from this minute on are ``pending`` (so a
  verification is counted pending until the end of the minute it expires in);
* ``stats:purpose:<purpose>`` / ``stats:purposes`` / ``stats:purposes:<n>``: the purposes seen.

``expired`` is what is left: started, neither finished nor pending. A process that dies between
writing a status and counting it leaves that verification counted as pending until it expires,
then as expired. Every counter expires ``retention`` (plus a day) after it was made.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._steps import Call
from ..stores.base import Store
from ._model import VerificationStatus
from ._record import Record

__all__ = ["FINISHED", "PurposeStats", "StatsKeys", "stats_flow"]

FINISHED = (
    VerificationStatus.APPROVED,
    VerificationStatus.CANCELED,
    VerificationStatus.MAX_ATTEMPTS_REACHED,
)
T = TypeVar("T")
Flow = Generator[Call, Any, T]
_DAY = 86400.0
_MAX_TTL = _DAY  # no verification lives longer (``VerifyPolicy.ttl_for``)


@dataclass(frozen=True)
class PurposeStats:
    """One purpose's counts over the last ``hours``: by status, and verifications started per hour."""

    purpose: str
    counts: dict[str, int]
    started: list[int] = field(default_factory=list)  # oldest hour first, this hour last


class StatsKeys:
    """The counters in ``store`` under ``prefix`` (the verifier's, so a namespace keeps its own)."""

    def __init__(self, store: Store, prefix: str) -> None:
        self.store = store
        self.base = f"{prefix}stats:"
        self._listed: set[str] = set()  # purposes this process knows are listed

    def count(self, purpose: str, hour: int, status: str) -> str:
        return f"{self.base}{purpose}:{hour}:{status}"

    def open(self, purpose: str, minute: int) -> str:
        return f"{self.base}{purpose}:open:{minute}"

    def started(self, record: Record, retention: float) -> Flow[None]:
        """Count a new verification (one ``run``), and list its purpose the first time it is seen."""
        ttl = retention + _DAY
        calls = [
            ("incr", (self.count(record.purpose, _hour(record.created_at), "started"), 1, ttl)),
            ("incr", (self.open(record.purpose, _minute(record.expires_at)), 1, ttl)),
        ]
        yield Call(self.store, "run", (calls,))
        if record.purpose in self._listed:
            return
        if (yield Call(self.store, "add", (f"{self.base}purpose:{record.purpose}", "1", None))) is None:
            number = yield Call(self.store, "incr", (f"{self.base}purposes",))
            yield Call(self.store, "set", (f"{self.base}purposes:{number}", record.purpose))
        if len(self._listed) > 10_000:
            self._listed.clear()
        self._listed.add(record.purpose)

    def finished(
        self, record: Record, status: VerificationStatus, retention: float
    ) -> list[tuple[str, tuple[Any, ...]]]:
        """Calls counting ``record`` as having become ``status`` (after its ``add`` won)."""
        ttl = retention + _DAY
        return [
            ("incr", (self.count(record.purpose, _hour(record.created_at), status.value), 1, ttl)),
            ("incr", (self.open(record.purpose, _minute(record.expires_at)), -1, ttl)),
        ]


def stats_flow(keys: StatsKeys, purposes: Sequence[str] | None, now: float, hours: int) -> Flow[list[PurposeStats]]:
    """Counts for ``purposes`` (every purpose seen when ``None``) over the last ``hours`` (1–720)."""
    hours = max(1, min(int(hours), 720))
    if purposes is None:
        total = yield Call(keys.store, "get", (f"{keys.base}purposes",))
        names = yield Call(
            keys.store, "get_many", ([f"{keys.base}purposes:{n}" for n in range(1, int(total or 0) + 1)],)
        )
        purposes = sorted({n for n in names if n})
    found = []
    this_hour, this_minute = _hour(now), _minute(now)
    span = range(this_hour - hours + 1, this_hour + 1)
    statuses = ("started", *(s.value for s in FINISHED))
    for purpose in purposes:
        wanted = [keys.count(purpose, h, s) for h in span for s in statuses]
        ahead = [keys.open(purpose, m) for m in range(this_minute, this_minute + int(_MAX_TTL // 60) + 1)]
        values = yield Call(keys.store, "get_many", (wanted + ahead,))
        numbers = [int(v or 0) for v in values]
        by_hour = [numbers[i : i + len(statuses)] for i in range(0, len(wanted), len(statuses))]
        counts = {s: sum(row[i] for row in by_hour) for i, s in enumerate(statuses)}
        pending = max(0, sum(numbers[len(wanted) :]))
        counts["pending"] = pending
        counts["expired"] = max(0, counts["started"] - pending - sum(counts[s.value] for s in FINISHED))
        found.append(PurposeStats(purpose, counts, [row[0] for row in by_hour]))
    return found


def _hour(moment: float) -> int:
    return int(moment // 3600)


def _minute(moment: float) -> int:
    return int(moment // 60)
