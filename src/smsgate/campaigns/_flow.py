"""Sending one chunk of a campaign, as generators the drivers run (no I/O here).

A chunk's rows go out in batches: each batch claims its rows (``add`` of ``pending``: a row already
claimed is never sent again), admits them one by one (country allowlist, blocklist, per-phone
limits), sends the admitted rows as one message (the gateway splits it into provider-sized
requests), then records each row's outcome and the counts. A row found ``pending`` was claimed by
a run that was lost while sending (a killed worker): it may have been delivered, so it is counted
*unknown*, never sent again. Steps: :class:`~smsgate._steps.Call` (a store operation),
:class:`Send` (a message), :class:`Together` (flows to run concurrently), a float (seconds to sleep).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._errors import SmsError
from .._models import Message, SendResult, Status
from .._phone import PhoneNumber
from .._steps import Call
from ..policy.limits import PhoneLimits
from ..policy.lists import Blocklist
from ..stores.base import Store
from ._sources import Reject, Row
from ._state import DONE, FAILED, PAUSED, PENDING, Keys

if TYPE_CHECKING:
    from .._gateway import _GatewayCore

__all__ = ["Chunk", "Policy", "Send", "Spec", "Together", "chunk_flow", "close_chunk", "finish_flow", "queue_flow"]

LOST = "the run that claimed this row was lost while sending: it may have been delivered"


@dataclass(slots=True)
class Send:
    """Send this message through the gateway; the driver answers with the :class:`SendResult`."""

    message: Message


@dataclass(slots=True)
class Together:
    """Run these flows concurrently (bounded by the driver); the driver answers with their results."""

    flows: list[Generator[Any, Any, Any]]


Flow = Generator[Any, Any, Any]


@dataclass(frozen=True)
class Spec:
    """What every row of a campaign shares: the message but its recipients and their own params."""

    id: str
    template: str | None = None
    text: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    sign_name: str | None = None
    templates: dict[str, str] = field(default_factory=dict)
    sign_names: dict[str, str] = field(default_factory=dict)
    batch_size: int = 100

    def message(self, rows: Sequence[Row]) -> Message:
        first = rows[0].params
        same = all(r.params == first for r in rows)  # one SendSms of up to 1000 phones, else per-phone params
        return Message(
            to=[r.phone for r in rows],
            template=self.template,
            text=self.text,
            params={**self.params, **first} if same else self.params,
            sign_name=self.sign_name,
            templates=self.templates,
            sign_names=self.sign_names,
            recipient_params=None if same else {r.phone: r.params for r in rows},
        )


@dataclass(frozen=True)
class Policy:
    """Per-row admission, shared by every process through the store."""

    store: Store
    limits: PhoneLimits | None = None
    blocklist: bool = False
    allows: Callable[[PhoneNumber], bool] | None = None
    region: str | None = None
    clock: Callable[[], float] = field(default=lambda: 0.0)
    lease: float = 60.0

    @classmethod
    def of(cls, gateway: _GatewayCore, store: Store, limits: PhoneLimits | None, lease: float) -> Policy:
        allows = gateway.allowlist.allows if gateway.allowlist is not None else None
        return cls(store, limits, gateway.blocklist_enabled, allows, gateway.default_region, gateway.clock, lease)


@dataclass(frozen=True)
class Chunk:
    """Rows ``number`` of a campaign: the valid ones (sent) and the rejects found in the source."""

    number: int
    rows: tuple[Row, ...]
    rejects: tuple[Reject, ...] = ()

    @property
    def size(self) -> int:
        return len(self.rows) + len(self.rejects)


@dataclass
class Tally:
    """What one run of a chunk recorded (the store's counters hold the campaign's totals)."""

    counts: dict[str, int] = field(default_factory=dict)
    status: str = "sent"  # sent | busy | paused | skipped

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def queue_flow(store: Store, keys: Keys, chunk: Chunk) -> Flow:
    """Record a chunk's invalid rows, then its source counts, once (a resume counts nothing twice)."""
    counts = {"total": chunk.size, "queued": len(chunk.rows), "invalid": len(chunk.rejects)}
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("set", (keys.row(r.number), f"invalid\t{r.reason}")) for r in chunk.rejects
    ]
    calls.append(("add", (keys.chunk(chunk.number, "queued"), json.dumps(counts))))
    yield Call(store, "run", (calls,))


def lease_token() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_gone(holder: str) -> bool:
    """True when the lease holder is a process of this machine that no longer runs."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) == os.getpid()  # our own, from a run this process abandoned


def chunk_flow(spec: Spec, policy: Policy, chunk: Chunk, keys: Keys) -> Flow:
    """Send a chunk's rows that no run has claimed yet; returns a :class:`Tally`."""
    store, tally = policy.store, Tally()
    lease = keys.chunk(chunk.number, "lease")
    done, status, holder = yield Call(store, "get_many", ([keys.chunk(chunk.number, "done"), keys.status, lease],))
    if done is not None:
        tally.status = "skipped"
        return tally
    if status in (PAUSED, FAILED):
        tally.status = "paused"
        return tally
    token = lease_token()
    if holder is not None and holder != token and not _holder_is_gone(holder):
        tally.status = "busy"  # another live run has this chunk: try again when its lease expires
        return tally
    renew = Call(store, "set", (lease, token, policy.lease))
    yield renew
    batches = _batches(chunk.rows, spec.batch_size)
    outcomes = yield Together([_batch_flow(spec, policy, keys, batch, tally, renew) for batch in batches])
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    if errors:
        raise errors[0]
    yield from close_chunk(store, keys, chunk)
    yield Call(store, "delete", (lease,))
    return tally


def _batches(rows: Sequence[Row], size: int) -> list[list[Row]]:
    """Rows in batches of up to ``size`` distinct phones (a message sends each phone once)."""
    batches: list[list[Row]] = []
    phones: list[set[str]] = []
    for row in rows:
        for batch, seen in zip(batches, phones, strict=True):
            if len(batch) < size and row.phone not in seen:
                batch.append(row)
                seen.add(row.phone)
                break
        else:
            batches.append([row])
            phones.append({row.phone})
    return batches


def _batch_flow(spec: Spec, policy: Policy, keys: Keys, rows: list[Row], tally: Tally, renew: Call) -> Flow:
    store = policy.store
    claims = yield Call(store, "run", ([("add", (keys.row(r.number), PENDING)) for r in rows],))
    outcomes: dict[int, str] = {}
    mine: list[Row] = []
    for row, existing in zip(rows, claims, strict=True):
        if existing is None:
            mine.append(row)
        elif existing == PENDING:
            outcomes[row.number] = f"unknown\t{LOST}"
    admitted = yield from _admit(policy, mine, outcomes)
    if admitted:
        try:
            result: SendResult = yield Send(spec.message(admitted))
        except SmsError as exc:  # raised before anything was sent
            outcomes.update((r.number, f"rejected\t{exc.code} {exc}\tnot sent") for r in admitted)
        except BaseException:
            yield Call(store, "run", ([("delete", (keys.row(r.number),)) for r in admitted],))
            raise
        else:
            by_phone = {r.phone: r for r in admitted}
            for line in result.recipients:
                outcomes[by_phone[line.phone.e164].number] = _outcome(line.status, line.error)
    yield from _record(store, keys, outcomes, tally)
    yield renew  # still alive: keep the chunk's lease
    return None


def _outcome(status: Status, error: SmsError | None) -> str:
    if status is Status.ACCEPTED:
        return "accepted"
    reason = f"{error.code} {error}" if error is not None else status.value
    if status is Status.UNKNOWN:
        return f"unknown\t{reason}"
    return f"rejected\t{reason}" + ("" if status is Status.REJECTED else "\tnot sent")


def _admit(policy: Policy, rows: list[Row], outcomes: dict[int, str]) -> Generator[Any, Any, list[Row]]:
    if policy.allows is not None:
        barred = [r for r in rows if not policy.allows(PhoneNumber.parse(r.phone))]
        outcomes.update((r.number, "rejected\t46004 country not allowed\tnot sent") for r in barred)
        rows = [r for r in rows if r.number not in outcomes]
    if policy.blocklist and rows:
        found = yield Call(policy.store, "get_many", ([Blocklist.key(r.phone) for r in rows],))
        outcomes.update(
            (r.number, "rejected\t46004 blocklisted\tnot sent") for r, v in zip(rows, found, strict=True) if v
        )
        rows = [r for r in rows if r.number not in outcomes]
    if policy.limits is not None and rows:
        now = policy.clock()
        windows = [policy.limits.windows(r.phone, now) for r in rows]
        full = yield Call(policy.store, "run", ([("hit", ([w for _, w in ws],)) for ws in windows],))
        for row, ws, index in zip(rows, windows, full, strict=True):
            if index is not None:
                rule, (_, limit, _) = ws[index]
                outcomes[row.number] = f"rejected\t46004 send limit {rule}={limit} reached\tnot sent"
        rows = [r for r in rows if r.number not in outcomes]
    return rows


def _record(store: Store, keys: Keys, outcomes: dict[int, str], tally: Tally) -> Flow:
    yield Call(store, "run", ([("set", (keys.row(n), v)) for n, v in outcomes.items()],))
    for value in outcomes.values():
        tally.add(value.split("\t", 1)[0])


def close_chunk(store: Store, keys: Keys, chunk: Chunk) -> Flow:
    """Record a chunk's rejects and mark it done (once); finish the campaign after its last chunk."""
    numbers = sorted([r.number for r in chunk.rows] + [r.number for r in chunk.rejects])
    values = yield Call(store, "get_many", ([keys.row(n) for n in numbers],))
    by_number = {r.number: r.phone for r in chunk.rows} | {r.number: r.phone for r in chunk.rejects}
    rejects = []
    counts = dict.fromkeys(("sent", "accepted", "rejected", "unknown"), 0)
    for number, value in zip(numbers, values, strict=True):
        if value is None or value == PENDING:
            raise RuntimeError(f"row {number} has no recorded outcome")
        kind, _, reason = value.partition("\t")
        if kind != "invalid":
            counts[kind] += 1
            counts["sent"] += not reason.endswith("\tnot sent")
        if kind in ("rejected", "invalid"):
            rejects.append([number, by_number[number], reason.removesuffix("\tnot sent")])
    done = keys.chunk(chunk.number, "done")
    text = json.dumps(rejects, ensure_ascii=False)
    yield Call(store, "run", ([("set", (keys.rejects(chunk.number), text)), ("set", (done, json.dumps(counts)))],))
    yield from finish_flow(store, keys)


def finish_flow(store: Store, keys: Keys) -> Flow:
    """Mark the campaign done once every chunk is queued and done."""
    chunks, status = yield Call(store, "get_many", ([keys.chunks, keys.status],))
    if chunks is None or status == DONE:
        return status == DONE
    done = yield Call(store, "get_many", ([keys.chunk(n, "done") for n in range(int(chunks))],))
    if all(value is not None for value in done):
        yield Call(store, "set", (keys.status, DONE))
        return True
    return False
