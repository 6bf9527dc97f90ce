"""``MemoryStore``: the default, for one process. Thread-safe; state is lost on exit."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

from .._reports import DeliveryReport, InboundMessage
from ._codec import inbound_key
from ._gcra import gcra
from .base import Keep, LogRecord, Refusal, Reserve, Start, Store, Window, provider_refs

__all__ = ["MemoryStore"]


class MemoryStore(Store):
    """Dicts behind one lock. The send log keeps the newest ``log_size`` records."""

    def __init__(self, *, clock: Callable[[], float] = time.time, log_size: int = 100_000) -> None:
        self.clock = clock
        self._data: dict[str, tuple[str, float | None]] = {}
        self._log: dict[str, LogRecord] = {}
        self._order: deque[str] = deque()
        self._log_size = log_size
        self._lock = threading.RLock()
        self._writes = 0
        # (provider, provider message id) -> the ids of its attempt records, oldest first
        self._refs: dict[tuple[str, str], dict[str, None]] = {}
        self._deliveries: dict[str, dict[str, str]] = {}  # message id -> phone -> delivery status
        self._reports: dict[str, DeliveryReport] = {}  # by key, in the order recorded
        self._inbound: list[InboundMessage] = []
        self._inbound_keys: set[str] = set()

    def __repr__(self) -> str:
        return f"<MemoryStore keys={len(self._data)} log={len(self._log)}>"

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self.clock():
            del self._data[key]
            return None
        return value

    def _put(self, key: str, value: str, ttl: float | None) -> None:
        now = self.clock()
        self._data[key] = (value, None if ttl is None else now + ttl)
        self._writes += 1
        if self._writes >= max(10_000, len(self._data)):  # drop expired counters and claims (amortised O(1))
            self._writes = 0
            for old in [k for k, (_, expires) in self._data.items() if expires is not None and expires <= now]:
                del self._data[old]

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        with self._lock:
            return [self._live(key) for key in keys]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._lock:
            self._put(key, value, ttl)

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        with self._lock:
            existing = self._live(key)
            if existing is None:
                self._put(key, value, ttl)
            return existing

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        with self._lock:
            return self._incr(key, amount, ttl)

    def _incr(self, key: str, amount: int, ttl: float | None) -> int:
        current = self._live(key)
        if current is None:
            self._put(key, str(amount), ttl)
            return amount
        value = int(current) + amount
        self._data[key] = (str(value), self._data[key][1])
        return value

    def hit(self, windows: Sequence[Window]) -> int | None:
        with self._lock:
            return self._hit(windows)

    def _hit(self, windows: Sequence[Window]) -> int | None:
        for index, (key, limit, _ttl) in enumerate(windows):
            if int(self._live(key) or 0) >= limit:
                return index
        for key, _limit, ttl in windows:
            self._incr(key, 1, ttl)
        return None

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        with self._lock:
            return self._reserve(key, interval, burst, max_wait, now)

    def _reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        stored = self._live(key)
        step = gcra(None if stored is None else float(stored), now, interval, burst, max_wait)
        if step is None:
            return None
        wait, tat = step
        self._put(key, repr(tat), max(tat - now, interval) + 1.0)
        return wait

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        with self._lock:
            return self._admit(blocked, claim, windows)

    def _admit(self, blocked: Sequence[str], claim: Keep | None, windows: Sequence[Window]) -> Refusal | None:
        """:meth:`Store.admit`'s steps, under the lock the caller holds."""
        for index, key in enumerate(blocked):
            if self._live(key) is not None:
                return Refusal("blocked", index)
        if claim is not None:
            existing = self._live(claim[0])
            if existing is not None:
                return Refusal("claimed", existing)
            self._put(*claim)
        full = self._hit(windows) if windows else None
        if full is not None:
            if claim is not None:
                self._data.pop(claim[0], None)
            return Refusal("full", full)
        return None

    def start(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        with self._lock:  # atomic as a whole, in Store.start's steps
            refusal = self._admit(blocked, claim, windows) if blocked or claim or windows else None
            if refusal is not None:
                return Start(refusal, [], False)
            waits = [self._reserve(*reserve) for reserve in reserves] if reserves else []
            if None in waits:
                return Start(None, waits, False)
            self._write(records, keep, None)
            return Start(None, waits, True)

    async def astart(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        return self.start(blocked, claim, windows, reserves, records, keep)

    def write(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: Keep | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        with self._lock:  # at once, as one transaction would be
            self._write(records, keep, forget)

    def write_behind(
        self, records: Sequence[LogRecord] = (), *, keep: Keep | None = None, forget: str | None = None
    ) -> None:
        with self._lock:  # nothing to defer: at once
            self._write(records, keep, forget)

    def _write(self, records: Sequence[LogRecord], keep: Keep | None, forget: str | None) -> None:
        for record in records:
            self.log_put(record)
        if keep is not None:
            self.set(*keep)
        if forget is not None:
            self.delete(forget)

    async def awrite(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: Keep | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        self.write(records, keep=keep, forget=forget, lazy=lazy)

    def log_put(self, record: LogRecord) -> None:
        with self._lock:
            self._log_put(record)

    def _log_put(self, record: LogRecord) -> None:
        rid = record.id
        if rid not in self._log:
            order = self._order
            order.append(rid)
            while len(order) > self._log_size:
                self._forget(order.popleft())
        self._log[rid] = record.copy()
        if record.provider is not None and record.message_ids:
            for ref in set(record.message_ids.values()):
                self._refs.setdefault((record.provider, ref), {})[rid] = None

    def _forget(self, record_id: str) -> None:
        """Drop the oldest record (the log is full), with its place in the receipt index."""
        record = self._log.pop(record_id, None)
        if record is None:
            return
        for ref in provider_refs(record):
            key = (str(record.provider), ref)
            ids = self._refs.get(key)
            if ids is not None:
                ids.pop(record_id, None)
                if not ids:
                    del self._refs[key]

    def log_query(
        self,
        *,
        message_id: str | None = None,
        phone: str | None = None,
        since: float | None = None,
        until: float | None = None,
        status: str | None = None,
        limit: int = 1000,
        newest_first: bool = False,
    ) -> list[LogRecord]:
        with self._lock:
            records = list(self._log.values())
        found = [
            r
            for r in records
            if (message_id is None or r.message_id == message_id)
            and (phone is None or phone in r.phones)
            and (since is None or r.created_at >= since)
            and (until is None or r.created_at <= until)
            and (status is None or r.status == status)
        ]
        found.sort(key=lambda r: r.created_at, reverse=newest_first)
        copies = [r.copy() for r in found[:limit]]
        for r in copies:
            if r.kind == "message":
                r.deliveries = dict(self._deliveries.get(r.id, {}))
        return copies

    def record_report(self, report: DeliveryReport) -> bool:
        with self._lock:
            if report.key in self._reports:
                return False
            report.message_id = self._match(report)
            self._reports[report.key] = replace(report, raw=None)
            if report.message_id is not None:
                self._deliveries.setdefault(report.message_id, {})[report.phone] = report.status.value
            return True

    def _match(self, report: DeliveryReport) -> str | None:
        if report.provider_message_id is None:
            return None
        for record_id in reversed(self._refs.get((report.provider, report.provider_message_id), {})):
            record = self._log.get(record_id)
            if record is not None and record.message_ids.get(report.phone) == report.provider_message_id:
                return record.message_id
        return None

    def reports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        with self._lock:
            kept = list(self._reports.values())
        found = [
            r
            for r in reversed(kept)
            if (message_id is None or r.message_id == message_id) and (phone is None or r.phone == phone)
        ]
        return [replace(r) for r in found[:limit]]

    def record_inbound(self, message: InboundMessage) -> bool:
        key = inbound_key(message)
        with self._lock:
            if key is not None:
                if key in self._inbound_keys:
                    return False
                self._inbound_keys.add(key)
            self._inbound.append(replace(message, raw=None))
            return True

    def inbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        with self._lock:
            kept = list(self._inbound)
        found = [m for m in reversed(kept) if phone is None or m.sender == phone]
        return [replace(m) for m in found[:limit]]
