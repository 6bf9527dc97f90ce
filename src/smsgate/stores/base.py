"""The store contract: small atomic operations that rate limits, idempotency, OTPs and the send log need.

Every operation is atomic on its own, also across processes for stores that are shared (SQLite,
Redis). Each sync method has an ``a``-prefixed async twin; the base class implements the twins by
calling the sync method directly, which suits stores that never block (memory). Values are
strings; callers encode what they keep. TTLs are in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

from .._reports import DeliveryReport, InboundMessage
from ._log_record import LogRecord
from ._translate import store_error, translating

__all__ = [
    "LINGER",
    "LogRecord",
    "Refusal",
    "Reserve",
    "Start",
    "Store",
    "Window",
    "store_error",
    "translating",
    "write_calls",
]

Window = tuple[str, int, float]
"""``(key, limit, ttl)``: a fixed-window counter that may reach ``limit`` and expires after ``ttl``."""

Keep = tuple[str, str, float]
"""``(key, value, ttl)``: a value to set with an expiry."""

LINGER = 0.02
"""Seconds a :meth:`Store.write_behind` may wait for another operation to carry it."""

Reserve = tuple[str, float, int, float, float]
"""``(key, interval, burst, max_wait, now)``: one token to take, the arguments of :meth:`Store.reserve`."""


class Refusal(NamedTuple):
    """Why :meth:`Store.admit` refused a send (nothing changed): ``kind`` ``"blocked"`` (``detail``:
    the index of the blocked key), ``"claimed"`` (the value already under the claim key) or
    ``"full"`` (the index of the first full window)."""

    kind: Literal["blocked", "claimed", "full"]
    detail: Any


class Start(NamedTuple):
    """What :meth:`Store.start` did: ``refusal`` (admission refused: nothing changed), else one
    answer of :meth:`Store.reserve` per token asked for (seconds to wait, ``None``: refused, nothing
    taken) and ``written``: whether the records and ``keep`` were written (only when every token
    was granted)."""

    refusal: Refusal | None
    waits: list[float | None]
    written: bool


class Store:
    """Base of every store. Subclasses implement the sync methods and, if they block, the async twins."""

    # -- key/value with expiry ----------------------------------------------------------------

    def get(self, key: str) -> str | None:
        """The value under ``key``, or ``None`` when absent or expired."""
        raise NotImplementedError

    def get_many(self, keys: Sequence[str]) -> list[str | None]:
        """:meth:`get` for several keys at once, in order."""
        return [self.get(key) for key in keys]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any value; expires after ``ttl`` when given."""
        raise NotImplementedError

    def add(self, key: str, value: str, ttl: float | None = None) -> str | None:
        """Store ``value`` only if ``key`` is absent: ``None`` when stored, else the value already there."""
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    # -- counters -------------------------------------------------------------------------

    def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add ``amount`` to the counter and return it; ``ttl`` applies when the counter is created."""
        raise NotImplementedError

    def hit(self, windows: Sequence[Window]) -> int | None:
        """Count one hit in every window, all or nothing.

        Returns ``None`` when every counter was below its limit (each is then incremented, and
        gets its TTL when created), else the index of the first full window (nothing counted).
        """
        raise NotImplementedError

    def reserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        """Take one token from a bucket refilled every ``interval`` seconds holding ``burst`` tokens.

        Returns the seconds to wait before using the token (0 when available now), or ``None``
        when the wait would exceed ``max_wait`` (nothing taken). A generic cell rate algorithm:
        the store keeps one timestamp per key.
        """
        raise NotImplementedError

    # -- compound operations (one round trip where the store allows) -------------------------

    def admit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        """Admit one send, atomically: none of the ``blocked`` keys exists, the ``claim`` (``add``)
        succeeds, and :meth:`hit` counts every window.

        Returns ``None`` when admitted, else the :class:`Refusal` (and nothing is changed).
        """
        found = self.get_many(blocked) if blocked else []
        for index, value in enumerate(found):
            if value is not None:
                return Refusal("blocked", index)
        if claim is not None:
            existing = self.add(*claim)
            if existing is not None:
                return Refusal("claimed", existing)
        full = self.hit(windows) if windows else None
        if full is not None:
            if claim is not None:
                self.delete(claim[0])
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
        """Start one send, in one round trip (or transaction) where the store can: :meth:`admit` it;
        when admitted, :meth:`reserve` each of ``reserves`` in order; when every token was granted,
        :meth:`write` ``records`` and ``keep`` (durably: they are the *pending* records of requests
        about to leave). Admission refused changes nothing; a refused token leaves the admission and
        the other tokens counted, and nothing written.

        Stores need not make the whole atomic: the send path is safe with the steps in this order
        (a crash after the admission sends nothing). This default makes them one call each (none
        for an empty admission: a send with only a send log writes its records alone)."""
        refusal = self.admit(blocked, claim, windows) if blocked or claim or windows else None
        if refusal is not None:
            return Start(refusal, [], False)
        waits = [self.reserve(*reserve) for reserve in reserves]
        if None in waits:
            return Start(None, waits, False)
        if records or keep is not None:
            self.write(records, keep=keep)
        return Start(None, waits, True)

    def run(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        """Run ``(method name, args)`` calls in order and return their results; one round trip
        (or transaction) where the store can. Not atomic as a whole."""
        return [getattr(self, name)(*args) for name, args in calls]

    def write(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: tuple[str, str, float] | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        """Put ``records`` in the send log, then :meth:`set` ``keep`` (key, value, ttl) and
        :meth:`delete` ``forget``: one round trip (or transaction) where the store can. The send
        path renews an idempotency claim with ``keep`` in the write of its first *pending*
        records, so a claim that names a message is durable no later than its pending record.

        ``lazy``: the write is visible on return but may become durable only with the store's
        next durable commit (SQLite: no fsync of its own; PostgreSQL: ``synchronous_commit``
        off for that transaction), so a crash may lose it. The send path writes outcomes this
        way: a lost outcome leaves its *pending* record, which reads as *unknown*. Stores
        without a cheaper commit ignore it."""
        self.run(write_calls(records, keep, forget))

    def write_behind(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: tuple[str, str, float] | None = None,
        forget: str | None = None,
    ) -> None:
        """:meth:`write` ``lazy``, but the store may return before making it: it then makes it with
        its next operation (in the same round trip or transaction where it can) or within
        :data:`LINGER` seconds, whichever comes first, and on :meth:`close`. Reads through this
        store object see it at once. The sync send path writes outcomes this way, so a
        sequential sender pays one round trip a send, not two.

        A failure seen before return raises as :meth:`write` does; one seen later is logged (never
        raised into another caller's operation) and leaves the records as they were: a send's
        record stays *pending*, which reads as *unknown*. This default writes at once."""
        self.write(records, keep=keep, forget=forget, lazy=True)

    # -- the send log -----------------------------------------------------------------------

    def log_put(self, record: LogRecord) -> None:
        """Insert ``record``, or replace the record with the same ``id``. Durable on return."""
        raise NotImplementedError

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
        """Records matching every given filter, oldest first (by ``created_at``; newest first with
        ``newest_first``), at most ``limit``. ``until`` pages back through a newest-first listing:
        pass the ``created_at`` of the last record shown."""
        raise NotImplementedError

    # -- delivery reports and inbound messages ----------------------------------------------

    def record_report(self, report: DeliveryReport) -> bool:
        """Keep ``report`` once (by :attr:`~smsgate.DeliveryReport.key`): ``False`` for a duplicate,
        which changes nothing.

        Matched to the send log by ``(provider, provider_message_id, phone)`` against the attempt
        records' ``message_ids``: when found, ``report.message_id`` is set to smsgate's message id
        and the phone's status lands in the message record's ``deliveries`` (the latest report
        wins). Unmatched reports are kept with ``message_id`` ``None``.
        """
        raise NotImplementedError

    def reports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        """Kept reports matching every given filter, newest first, at most ``limit``."""
        raise NotImplementedError

    def record_inbound(self, message: InboundMessage) -> bool:
        """Keep an inbound message; ``False`` (nothing changed) when one with the same provider and
        ``provider_message_id`` is already kept (messages without that id are always kept)."""
        raise NotImplementedError

    def inbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        """Kept inbound messages (from ``phone`` when given), newest first, at most ``limit``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections."""

    # -- async twins --------------------------------------------------------------------------

    async def aget(self, key: str) -> str | None:
        return self.get(key)

    async def aget_many(self, keys: Sequence[str]) -> list[str | None]:
        return self.get_many(keys)

    async def aset(self, key: str, value: str, ttl: float | None = None) -> None:
        self.set(key, value, ttl)

    async def aadd(self, key: str, value: str, ttl: float | None = None) -> str | None:
        return self.add(key, value, ttl)

    async def adelete(self, key: str) -> None:
        self.delete(key)

    async def aincr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        return self.incr(key, amount, ttl)

    async def ahit(self, windows: Sequence[Window]) -> int | None:
        return self.hit(windows)

    async def areserve(self, key: str, interval: float, burst: int, max_wait: float, now: float) -> float | None:
        return self.reserve(key, interval, burst, max_wait, now)

    async def aadmit(
        self, blocked: Sequence[str], claim: tuple[str, str, float] | None, windows: Sequence[Window]
    ) -> Refusal | None:
        return self.admit(blocked, claim, windows)

    async def astart(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve] = (),
        records: Sequence[LogRecord] = (),
        keep: Keep | None = None,
    ) -> Start:
        refusal = await self.aadmit(blocked, claim, windows) if blocked or claim or windows else None
        if refusal is not None:
            return Start(refusal, [], False)
        waits = [await self.areserve(*reserve) for reserve in reserves]
        if None in waits:
            return Start(None, waits, False)
        if records or keep is not None:
            await self.awrite(records, keep=keep)
        return Start(None, waits, True)

    async def arun(self, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        return self.run(calls)

    async def awrite(
        self,
        records: Sequence[LogRecord] = (),
        *,
        keep: tuple[str, str, float] | None = None,
        forget: str | None = None,
        lazy: bool = False,
    ) -> None:
        await self.arun(write_calls(records, keep, forget))

    async def alog_put(self, record: LogRecord) -> None:
        self.log_put(record)

    async def alog_query(self, **filters: Any) -> list[LogRecord]:
        return self.log_query(**filters)

    async def arecord_report(self, report: DeliveryReport) -> bool:
        return self.record_report(report)

    async def areports(
        self, *, message_id: str | None = None, phone: str | None = None, limit: int = 100
    ) -> list[DeliveryReport]:
        return self.reports(message_id=message_id, phone=phone, limit=limit)

    async def arecord_inbound(self, message: InboundMessage) -> bool:
        return self.record_inbound(message)

    async def ainbound(self, *, phone: str | None = None, limit: int = 100) -> list[InboundMessage]:
        return self.inbound(phone=phone, limit=limit)

    async def aclose(self) -> None:
        self.close()


def write_calls(
    records: Sequence[LogRecord], keep: Keep | None, forget: str | None
) -> list[tuple[str, tuple[Any, ...]]]:
    calls: list[tuple[str, tuple[Any, ...]]] = [("log_put", (record,)) for record in records]
    if keep is not None:
        calls.append(("set", keep))
    if forget is not None:
        calls.append(("delete", (forget,)))
    return calls


def provider_refs(record: LogRecord) -> list[str]:
    """The distinct provider message ids of an attempt record (what receipts are matched by)."""
    return sorted(set(record.message_ids.values())) if record.provider is not None else []
