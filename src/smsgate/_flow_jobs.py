"""Each batch of requests of one send, inside its policies (no I/O here).

:meth:`Batches.run` takes a token from each provider's bucket, writes the *pending* send-log
records before any request leaves (with the message's own record before its first request), makes
the requests (:class:`RunJobs`), then finishes the records: at once when a request carries only
part of the message, else later, together with the message's record (see ``_flow``). Outcomes are
written ``lazy`` (durable with the store's next durable commit): a crash may lose one, leaving its
pending record, which reads as unknown.

A send's first request, when the flow prepares it (``_flow``), skips :meth:`Batches.run`: its
token and records go into the flow's one ``Store.start`` (:meth:`Batches.first`), and it is sent
with the same finishing and halting (:meth:`Batches.started`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ._engine import attempt_of
from ._errors import Category, RequestFailed, Throttled
from ._models import Attempt, Outgoing, new_id
from ._observe import Hooks, Metrics, logger
from ._steps import Done, Job, RunJobs, Step, StoreOp
from .policy.breaker import CircuitBreaker
from .policy.idempotency import Idempotency, sent_value
from .policy.limits import PhoneLimits, ProviderRate
from .policy.lists import CountryAllowlist
from .stores.base import Keep, LogRecord, Reserve, Store

__all__ = ["Batches", "Policies", "Send"]


@dataclass
class Policies:
    """What is checked and recorded around each send (see ``Gateway``'s options); state in ``store``."""

    store: Store
    send_log: Store | None = None
    limits: PhoneLimits | None = None
    rates: dict[str, ProviderRate] = field(default_factory=dict)
    blocklist: bool = False
    allowlist: CountryAllowlist | None = None
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    idempotency: Idempotency = field(default_factory=Idempotency)
    hooks: Hooks = field(default_factory=Hooks)
    metrics: Metrics = field(default_factory=Metrics)


@dataclass(slots=True)
class Send:
    """One send's own state: its id and phones (E.164), its log record (``None`` without a send
    log), the finished attempt records waiting to be written with it, its idempotency claim and the
    :func:`fingerprint <smsgate.policy.idempotency.fingerprint>` of its message (computed once,
    with a claim)."""

    message: Outgoing
    message_id: str
    record: LogRecord | None
    phones: tuple[str, ...] = ()
    opened: bool = False  # the message's record is written (before its first request)
    finished: list[LogRecord] = field(default_factory=list)
    pending: LogRecord | None = None  # the prepared first request's record, until its answer finishes it
    sent: bool = False  # some request may have left
    store_error: Exception | None = None  # the first store failure once something was sent
    claim: str | None = None  # the idempotency key's claim, renewed with the first pending records
    digest: str = ""  # the message's fingerprint, when it has a claim

    def failed(self, error: Exception) -> None:
        """A store failed after a request left: keep the first failure; nothing more is sent."""
        if self.store_error is None:
            self.store_error = error


class Batches:
    """Runs the batches of requests of sends under ``policies`` (see the module docstring)."""

    def __init__(self, policies: Policies, clock: Callable[[], float]) -> None:
        self.policies = policies
        self.clock = clock

    def run(self, send: Send, jobs: list[Job]) -> Generator[Step, Any, list[Done]]:
        """Rate tokens, pending records, the requests, finished records; one :class:`Done` per job."""
        p = self.policies
        if send.store_error is None and not p.rates and p.send_log is None:
            send.sent = True
            done: list[Done] = yield RunJobs(jobs)
            return done
        refused: dict[int, Done] = {}
        for index, job in enumerate(jobs):
            token = self.token(job)
            if token is None or send.store_error is not None:
                continue
            wait = yield from self._guarded(
                send, StoreOp(partial(p.store.reserve, *token), partial(p.store.areserve, *token))
            )
            if send.store_error is not None:
                break
            if wait is None:
                refused[index] = self.throttled(job)
            else:
                job.delay = wait
        first = not send.opened
        records = self._opening(send, [job for index, job in enumerate(jobs) if index not in refused])
        if records:  # durable before any of these requests leaves, the claim renewed with the first
            log = p.send_log
            assert log is not None
            keep = self.sent_claim(send) if first and send.claim else None
            if keep is not None and log is not p.store:
                yield from self._guarded(send, StoreOp(partial(p.store.set, *keep), partial(p.store.aset, *keep)))
                keep = None
            write, awrite = partial(log.write, records, keep=keep), partial(log.awrite, records, keep=keep)
            yield from self._guarded(send, StoreOp(write, awrite))
        if send.store_error is not None:  # nothing more leaves once a store failed
            refused.update((i, self._unsent(send)) for i in range(len(jobs)) if i not in refused)
            records = []
        sending = [job for index, job in enumerate(jobs) if index not in refused]
        send.sent = send.sent or bool(sending)
        opened = records[len(records) - len(sending) :] if records else []
        pending = {id(job): record for job, record in zip(sending, opened, strict=True)} if opened else {}
        after = partial(self._closing, send, pending) if pending else None
        answers: list[Done] = (yield RunJobs(sending, after, partial(self._halted, send))) if sending else []
        answer = iter(answers)
        return [refused[i] if i in refused else next(answer) for i in range(len(jobs))]

    # -- the first request, prepared by the flow (``_flow_first``) --------------------------

    def finish(self, send: Send, job: Job, done: Done) -> None:
        """Finish the prepared first request's record (``send.pending``, if any) from its answer,
        to be written with the message's record."""
        record = send.pending
        if record is not None:
            send.pending = None
            self._finished(record, attempt_of(job.provider.alias, job, done), done)
            send.finished.append(record)

    def throttled(self, job: Job) -> Done:
        """The answer to a request whose rate token was refused (it never leaves)."""
        rate = self.policies.rates[job.provider.alias]
        text = f"request rate limit {rate.rate:g}/s reached"
        error = Throttled(text, provider=job.provider.alias, category=Category.THROTTLED, retryable=False)
        return Done(error, self.clock(), 0.0)

    def token(self, job: Job) -> Reserve | None:
        """The rate token a request to its provider takes, if that provider has a rate."""
        rate = self.policies.rates.get(job.provider.alias)
        if rate is None:
            return None
        return f"rate:{job.provider.alias}", rate.interval, rate.burst, rate.max_wait, self.clock()

    def sent_claim(self, send: Send) -> Keep:
        """The claim once a request may leave: the message id, leased for ``claim_ttl``, kept for ``ttl``."""
        idem, lease = self.policies.idempotency, self.clock() + self.policies.idempotency.claim_ttl
        return str(send.claim), sent_value(send.digest, send.message_id, lease), idem.ttl

    def _opening(self, send: Send, jobs: list[Job]) -> list[LogRecord]:
        """The pending records of ``jobs`` (and the message's own, before its first request)."""
        if send.record is None or not jobs:
            return []
        now = self.clock()
        records = [] if send.opened else [send.record]
        send.opened = True
        for job in jobs:
            phones = tuple([p.e164 for p in job.recipients])
            alias, number = job.provider.alias, job.number
            records.append(LogRecord(new_id(), "attempt", send.message_id, phones, "pending", now, now, alias, number))
        return records

    def _closing(self, send: Send, pending: dict[int, LogRecord], job: Job, done: Done) -> StoreOp[Any] | None:
        """Finish a job's record as it finishes: written at once, unless the request was for the
        whole message (then it is written with the message's record)."""
        record = pending[id(job)]
        self._finished(record, attempt_of(job.provider.alias, job, done), done)
        if len(job.recipients) == len(send.message.phones):
            send.finished.append(record)
            return None
        log = self.policies.send_log
        assert log is not None
        write, awrite = partial(log.write, [record], lazy=True), partial(log.awrite, [record], lazy=True)
        return StoreOp(write, awrite, quiet=True, on_failure=send.failed)

    def _finished(self, record: LogRecord, attempt: Attempt, done: Done) -> None:
        record.status = attempt.status.value
        record.updated_at = self.clock()
        record.error = attempt.error.to_dict() if attempt.error else None
        if isinstance(done.outcome, list):
            record.message_ids = {r.phone.e164: r.message_id for r in done.outcome if r.message_id}

    def _halted(self, send: Send, job: Job) -> Done | None:
        """Asked before each request leaves: once a store failed, the answer is "not sent"."""
        return None if send.store_error is None else self._unsent(send)

    def _unsent(self, send: Send) -> Done:
        assert send.store_error is not None
        error = RequestFailed(f"not sent: the store failed mid-send ({type(send.store_error).__name__})")
        return Done(error, self.clock(), 0.0)

    def _guarded(self, send: Send, op: StoreOp[Any]) -> Generator[Step, Any, Any]:
        """A store operation before requests leave: its failure fails the send while nothing has been
        sent; after that it is kept on the send (and the rest is not sent), so no delivery is hidden."""
        try:
            return (yield op)
        except Exception as exc:
            if not send.sent:
                raise
            logger.warning("the store failed mid-send; nothing more is sent", exc_info=True)
            send.failed(exc)
            return None
