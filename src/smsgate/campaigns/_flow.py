"""Sending one chunk of a campaign, as generators the drivers run (no I/O here).

A chunk's rows are cut into batches (up to ``batch_size`` distinct phones: one message each; the
same batches on every run). Batches go out in waves of ``concurrency``: the wave's batches are
claimed in the store (``add`` of ``pending`` under the batch's key, so a row is claimed exactly
once, with its batch) before their requests leave, admitted row by row (country allowlist,
blocklist, per-phone limits), sent concurrently, and their rows' outcomes recorded under the same
keys. Each batch's message carries its own ``out_id`` (campaign, chunk, batch). A batch already
recorded is skipped; one found *pending* was claimed by a run lost while sending (a killed
worker): it is settled (``_settle``): looked up at the provider, recorded when found, sent again
when the provider says it never arrived, else *unknown*, never resent.
Steps: :class:`~smsgate._steps.Call` (a store operation), :class:`Together` (messages to send
through the gateway's ``send_many``; answered with a result or the exception for each),
:class:`~smsgate.campaigns._settle.Ask` (lookup requests), a float (seconds to sleep).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import InvalidRequest, SmsError
from .._models import Message, SendResult, Status
from .._steps import Call
from ..stores.base import Store
from ._admit import NOT_SENT, Policy, admit
from ._receipts import receipt_writes
from ._settle import Claim, Settled, settle
from ._sources import Reject, Row
from ._state import DONE, FAILED, PAUSED, Keys

__all__ = [
    "Chunk",
    "Spec",
    "Tally",
    "Together",
    "batches",
    "chunk_flow",
    "close_chunk",
    "finish_flow",
    "queue_flow",
]

Flow = Generator[Any, Any, Any]


@dataclass(slots=True)
class Together:
    """Send these messages concurrently; the driver answers with a :class:`SendResult` or the
    exception raised, for each, in order."""

    messages: list[Message]


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

    def message(self, rows: Sequence[Row], out_id: str | None = None) -> Message:
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
            recipient_params={} if same else {r.phone: r.params for r in rows},
            out_id=out_id,
        )


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
    status: str = "sent"  # sent | busy | paused | skipped | later
    wait: float = 0.0  # later: seconds until the chunk can be finished

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def queue_flow(store: Store, keys: Keys, chunk: Chunk) -> Flow:
    """Record a chunk's source counts and invalid rows, once, in one write (a resume counts nothing twice)."""
    counts = {"total": chunk.size, "queued": len(chunk.rows), "invalid": len(chunk.rejects)}
    rejects = [[r.number, r.phone, r.reason] for r in chunk.rejects]
    record = json.dumps({"counts": counts, "rejects": rejects}, ensure_ascii=False)
    yield Call(store, "add", (keys.chunk(chunk.number, "queued"), record))


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
    """Send a chunk's batches that no run has claimed yet, settle those a lost run claimed; returns
    a :class:`Tally` (``later`` when lost batches can be decided only after ``tally.wait`` seconds)."""
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
    renew = ("set", (lease, token, policy.lease))  # taken with the first claims, kept with each record
    cut = batches(chunk.rows, spec.batch_size)
    later: float | None = None
    for start in range(0, len(cut), policy.concurrency):
        numbers = range(start, min(len(cut), start + policy.concurrency))
        wave = {keys.batch(chunk.number, i): (cut[i], keys.out_id(chunk.number, i)) for i in numbers}
        outcomes, writes, wait = yield from _wave(spec, policy, wave, renew, keys)
        record = [("set", (key, json.dumps(rows, ensure_ascii=False))) for key, rows in outcomes.items()]
        yield Call(store, "run", ([*record, *writes, renew],))
        later = wait if later is None or wait is None else min(later, wait)
        for rows in outcomes.values():
            for _, value in rows:
                tally.add(value.split("\t", 1)[0])
    if later is not None:  # batches a lost run claimed, to decide later: the chunk is let go until then
        yield Call(store, "delete", (lease,))
        tally.status, tally.wait = "later", later
        return tally
    yield from close_chunk(store, keys, chunk, spec.batch_size)
    return tally


def batches(rows: Sequence[Row], size: int) -> list[list[Row]]:
    """Rows in batches of up to ``size`` distinct phones (a message sends each phone once)."""
    cut: list[list[Row]] = []
    phones: list[set[str]] = []
    for row in rows:
        for batch, seen in zip(cut, phones, strict=True):
            if len(batch) < size and row.phone not in seen:
                batch.append(row)
                seen.add(row.phone)
                break
        else:
            cut.append([row])
            phones.append({row.phone})
    return cut


def _wave(
    spec: Spec,
    policy: Policy,
    wave: dict[str, tuple[list[Row], str]],
    lease: tuple[str, tuple[Any, ...]],
    keys: Keys,
) -> Generator[Any, Any, tuple[dict[str, list[list[Any]]], list[Any], float | None]]:
    """Claim, admit, send and judge one wave of batches (key → rows, out_id): ``{batch key: [[row,
    outcome], …]}`` for the batches decided, the store writes to make with them, and the seconds
    until the batches left pending (claimed by a lost run) can be decided."""
    store = policy.store
    now = policy.clock()
    claim = Claim((now,)).encode()
    _, *claims = yield Call(store, "run", ([lease, *(("add", (key, claim)) for key in wave)],))
    outcomes: dict[str, dict[int, str]] = {}
    lost: dict[str, tuple[list[Row], Claim, str]] = {}
    mine: dict[str, list[Row]] = {}
    for (key, (rows, out_id)), existing in zip(wave.items(), claims, strict=True):
        found = None if existing is None else Claim.decode(existing)
        if existing is None:
            outcomes[key], mine[key] = {}, rows
        elif found is not None:
            lost[key] = (rows, found, out_id)
        elif sorted(n for n, _ in json.loads(existing)) != [r.number for r in rows]:
            raise InvalidRequest(f"{key}: the source changed since the campaign started", field="source")
    settled = Settled()
    if lost:
        settled = yield from settle(policy.providers, lost, now, policy.settle_after)
    outcomes.update(settled.outcomes)
    for key, rows in settled.resend.items():
        outcomes.setdefault(key, {})
        mine[key] = rows
    if settled.resend:  # the new attempt is claimed before it leaves
        yield Call(store, "run", ([w for w in settled.writes if w[1][0] in settled.resend],))
    writes: list[Any] = [w for w in settled.writes if w[1][0] not in settled.resend]
    admitted = yield from admit(policy, mine, outcomes, keys.row)
    sendable = {key: rows for key, rows in admitted.items() if rows}
    results = yield Together([spec.message(rows, wave[key][1]) for key, rows in sendable.items()])
    failure: BaseException | None = None
    for (key, rows), result in zip(sendable.items(), results, strict=True):
        if isinstance(result, SendResult):
            by_phone = {r.phone: r.number for r in rows}
            outcomes[key].update(
                (by_phone[line.phone.e164], _outcome(line.status, line.error)) for line in result.recipients
            )
            writes += receipt_writes(keys, result, by_phone)
        elif isinstance(result, SmsError):  # raised before anything was sent
            outcomes[key].update((r.number, f"rejected\t{result.code} {result}{NOT_SENT}") for r in rows)
        else:  # nothing left for this batch: release it, so a later run sends it
            failure = result
            del outcomes[key]
            if key not in settled.resend:  # a settled batch stays claimed: settled again, found rows kept
                yield Call(store, "delete", (key,))
    if failure is not None:
        yield Call(store, "run", ([("set", (k, json.dumps(sorted(v.items())))) for k, v in outcomes.items()],))
        raise failure
    decided = {key: [[n, v] for n, v in sorted(rows.items())] for key, rows in outcomes.items()}
    return decided, writes, settled.later


def _outcome(status: Status, error: SmsError | None) -> str:
    if status is Status.ACCEPTED:
        return "accepted"
    reason = f"{error.code} {error}" if error is not None else status.value
    if status is Status.UNKNOWN:
        return f"unknown\t{reason}"
    return f"rejected\t{reason}" + ("" if status is Status.REJECTED else NOT_SENT)


def close_chunk(store: Store, keys: Keys, chunk: Chunk, batch_size: int) -> Flow:
    """Sum a chunk's outcomes into its one ``done`` record and keep its rejects; finish the campaign
    after its last chunk."""
    count = len(batches(chunk.rows, batch_size))
    names = [keys.chunk(chunk.number, "queued"), *(keys.batch(chunk.number, i) for i in range(count))]
    queued, *recorded = yield Call(store, "get_many", (names,))
    phones = {r.number: r.phone for r in chunk.rows}
    rejects = json.loads(queued or "{}").get("rejects", [])
    counts = dict.fromkeys(("sent", "accepted", "rejected", "unknown"), 0)
    for key, text in zip(names[1:], recorded, strict=True):
        if text is None or Claim.decode(text) is not None:
            raise RuntimeError(f"{key} has no recorded outcome")
        for number, value in json.loads(text):
            kind, _, reason = value.partition("\t")
            counts[kind] += 1
            counts["sent"] += not reason.endswith(NOT_SENT)
            if kind == "rejected":
                rejects.append([number, phones[number], reason.removesuffix(NOT_SENT)])
    done = json.dumps({"counts": counts, "batches": count})
    text = json.dumps(sorted(rejects), ensure_ascii=False)
    yield Call(
        store,
        "run",
        ([("set", (keys.rejects(chunk.number), text)), ("set", (keys.chunk(chunk.number, "done"), done))],),
    )
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
