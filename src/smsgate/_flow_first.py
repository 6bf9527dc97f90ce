"""The prepared first request of a policy send (no I/O here).

When the engine's first batch would be one request to the first provider (its breaker closed, the
send log, if any, in the policies' store), the flow makes that request itself after one
:meth:`Store.start <smsgate.stores.Store.start>`: the admission, the request's rate token, its
*pending* records (the message's and the request's) and the idempotency claim renewed, at once.
An answer accepting every recipient is the send's result (:meth:`First.accepted`: what the engine
would make of it, without running it); any other is handed to the engine as the answer to its
first batch (``plan(..., first=done)``), which carries on from it. So a send with every policy
makes two store calls: ``start`` and the final write.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any

from ._flow_admit import Admission, Gate
from ._flow_jobs import Batches, Policies, Send
from ._models import Attempt, SendResult, Status, new_id
from ._observe import log_attempt
from ._steps import Done, Job, RunJobs, Step, StoreOp
from .stores.base import LogRecord, Start

__all__ = ["First"]

_ACCEPTED = Status.ACCEPTED


class First:
    """Starts sends under ``policies`` with their first request prepared (see the module docstring)."""

    def __init__(self, policies: Policies, clock: Callable[[], float], gate: Gate, batches: Batches) -> None:
        self.policies = policies
        self.clock = clock
        self.gate = gate
        self.batches = batches

    def usable(self, job: Job | None, admission: Admission) -> Job | None:
        """``job`` (the engine's first request, exactly one to the first provider) when the flow can
        start it itself: that provider's breaker is closed, and everything to start is in one store
        (the send log in ``store``, or nothing to admit and no rate token)."""
        if job is None:
            return None
        p, alias = self.policies, job.provider.alias
        log = p.send_log
        if log is not None and log is not p.store and (admission or alias in p.rates):
            return None
        breaker = p.breakers.get(alias)
        # a closed breaker allows without changing (the engine does not ask again); open or half-open: the engine asks
        return None if breaker is not None and breaker.state != "closed" else job

    def start(
        self, send: Send, admission: Admission, job: Job
    ) -> Generator[Step, Any, tuple[SendResult | None, Done | None]]:
        """Admit the send, take the request's token and write its pending records in one
        ``Store.start``, then make the request: a replayed result, or the request's answer for the
        engine (``None`` when nothing was written: its first batch then goes through
        :meth:`Batches.run <smsgate._flow_jobs.Batches.run>` as any other)."""
        p = self.policies
        token = self.batches.token(job)
        reserves = [] if token is None else [token]
        record, keep = send.record, None
        if record is not None:
            now = self.clock()
            alias, number = job.provider.alias, job.number
            pending = LogRecord(new_id(), "attempt", send.message_id, send.phones, "pending", now, now, alias, number)
            records = [record, pending]
            keep = self.batches.sent_claim(send) if send.claim else None
        elif not (admission or reserves):  # nothing to start: the request alone
            send.sent = True
            done: list[Done] = yield RunJobs([job])
            return None, done[0]
        else:
            records = []
        store = p.store if admission or reserves or p.send_log is None else p.send_log
        args = (admission.blocked, admission.claim, admission.windows, reserves, records, keep)
        started: Start = yield StoreOp(partial(store.start, *args), partial(store.astart, *args))
        if started.refusal is not None:
            return (yield from self.gate.refused(send, admission, started.refusal)), None
        waits = started.waits
        if waits and waits[0] is None:
            return None, self.batches.throttled(job)
        if not started.written:
            return None, None
        if waits:
            job.delay = float(waits[0] or 0.0)
        if records:
            send.opened, send.pending = True, records[1]
        send.sent = True  # nothing can have failed since the start: the request leaves as it is
        done = yield RunJobs([job])
        return None, done[0]

    def accepted(self, send: Send, job: Job, done: Done) -> SendResult | None:
        """The result of a send whose prepared first request accepted every recipient (``None``
        otherwise): its attempt logged, its breaker told, its record finished, as the engine would."""
        rows = done.outcome  # in the request's order (the gateway's read put them so)
        if type(rows) is not list or any([row.error is not None for row in rows]):
            return None
        alias = job.provider.alias
        attempt = Attempt(alias, send.phones, _ACCEPTED, None, done.started_at, done.elapsed, job.number)
        log_attempt(send.message_id, attempt)
        breaker = self.policies.breakers.get(alias)
        if breaker is not None:
            breaker.record(None)
        record = send.pending
        if record is not None:
            send.pending = None
            record.status, record.updated_at = "accepted", self.clock()
            record.message_ids = {row.phone.e164: row.message_id for row in rows if row.message_id}
            send.finished.append(record)
        responses = () if done.raw is None else (done.raw,)
        return SendResult(tuple(rows), (attempt,), responses, send.message_id)
