"""The send flow: the policies around the engine, as one generator a gateway drives (no I/O here).

:meth:`SendFlow.send` checks the lists, claims the idempotency key and counts the limits (the
admission, ``_flow_admit``), runs :func:`~smsgate._engine.plan`, and records the result. Each batch
of requests the engine makes passes through :meth:`Batches.run <smsgate._flow_jobs.Batches.run>`
(rate tokens, send-log records); the message's own record and the idempotency result are written
at the end, in one lazy write.

The prepared first request: when the engine's first batch is one request to the first provider
(its breaker closed, the send log, if any, in the policies' store), the flow makes it itself after
one :meth:`Store.start <smsgate.stores.Store.start>` (admission, that request's rate token, its
pending records and the claim renewed) and hands its answer to the engine, which carries on from
it. So a send with every policy makes two store calls: ``start`` and the final write. Any other
send is admitted with :meth:`Store.admit <smsgate.stores.Store.admit>` (one call) first.

The straight path: a send that needs no policy step (no limits, lists, idempotency key, send log,
rates, breakers or routing) starts with :meth:`SendFlow.straight`, which hands the gateway its
first request as one :class:`Job`. The gateway sends it; :meth:`SendFlow.settle` turns an answer
accepting every recipient into the result, and any other answer goes to :meth:`SendFlow.resume`,
the engine carrying on from that answer (retry, failover, unknown outcome) as :meth:`send` would.
Both paths make the same requests, call the same hooks and count the same metrics.

The flow owns the :class:`Policies` and the message's log record; it imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ._engine import plan
from ._errors import InvalidRequest, SmsError
from ._flow_admit import Gate
from ._flow_first import First
from ._flow_jobs import Batches, Policies, Send
from ._models import Attempt, Message, Outgoing, RecipientResult, SendResult, Status, new_id
from ._observe import log_attempt
from ._phone import PhoneNumber
from ._retry import RetryPolicy
from ._steps import Done, Job, Step, StoreOp
from .policy.idempotency import Idempotency, encode_result, fingerprint, worth_keeping
from .providers.base import Provider
from .stores.base import LogRecord
from .strategies import Strategy

__all__ = ["Policies", "SendFlow", "Straight"]

Flow = Generator[Step, Any, SendResult]
Route = Callable[[PhoneNumber], Sequence[str]]  # a per-country strategy's providers for one phone


@dataclass(slots=True)
class Straight:
    """A send on the straight path: its message and id, its providers in order, and its first request
    (``None`` when the first provider cannot take it in one request: the engine decides then)."""

    message: Outgoing
    message_id: str
    order: list[str]
    job: Job | None


class SendFlow:
    """Sends through ``providers`` under ``policies``; :meth:`send` is the generator a gateway drives."""

    def __init__(
        self,
        providers: Mapping[str, Provider],
        policies: Policies,
        *,
        strategy: Strategy,
        retry: RetryPolicy,
        clock: Callable[[], float],
        default_region: str,
    ) -> None:
        self.providers = providers
        self.policies = policies
        self.strategy = strategy
        self.retry = retry
        self.clock = clock
        self.default_region = default_region
        self.batches = Batches(policies, clock)
        self.gate = Gate(policies, clock)
        self.first = First(policies, clock, self.gate, self.batches)

    def send(self, message: Message, providers: Sequence[str] | None = None) -> Flow:
        """Send ``message`` (through ``providers`` when given, in the strategy's order)."""
        p = self.policies
        message = message.normalised(self.default_region)
        names = self._names(providers)
        for hook in p.hooks.before_send:
            hook(message)
        self.gate.check_countries(message)
        key = message.idempotency_key
        claim = Idempotency.key(key) if key else None
        phones = tuple([phone.e164 for phone in message.phones])
        send = Send(message, new_id(), None, phones, claim=claim, digest=fingerprint(message) if claim else "")
        if p.send_log is not None:
            now = self.clock()
            send.record = LogRecord(send.message_id, "message", send.message_id, phones, "pending", now, now)
        admission = self.gate.admission(send)
        route: Route | None = getattr(self.strategy, "route", None)
        order = [] if route is not None else list(self.strategy(names, message))  # routed: one order per group
        job = self.first.usable(self._first_job(message, send.message_id, order), admission)
        first: Done | None = None
        if job is None:
            replayed = yield from self.gate.admit(send, admission)
        else:
            replayed, first = yield from self.first.start(send, admission, job)
            if first is not None and job is not None:
                result = self.first.accepted(send, job, first)
                if result is not None:  # the common send: its one request accepted every recipient
                    yield from self._record(send, result, claim, "accepted")
                    return self._finished(message, result, job)
                self.batches.finish(send, job, first)
        if replayed is not None:
            return replayed
        try:
            if route is not None:
                result = yield from self._routed(send, names, route)
            else:
                result = yield from self._plan(send, message, order, first=first)
        except SmsError:  # only raised when no provider could take the message: nothing was sent
            if claim is not None:
                yield StoreOp(partial(p.store.delete, claim), partial(p.store.adelete, claim))
            raise
        yield from self._record(send, result, claim)
        return self._finished(message, result)

    def _finished(self, message: Outgoing, result: SendResult, accepted: Job | None = None) -> SendResult:
        """Count ``result`` (of one ``accepted`` request when given) and hand it to the hooks."""
        if accepted is not None:
            self.policies.metrics.accepted(accepted.provider.alias, len(result.recipients))
        else:
            self.policies.metrics.result(result)
        for hook in self.policies.hooks.after_send:
            hook(message, result)
        return result

    # -- the straight path -------------------------------------------------------------------

    def straight(self, message: Message, providers: Sequence[str] | None = None) -> Straight | None:
        """Begin a send that needs no policy step (see the module docstring); ``None`` when it
        needs one: then drive :meth:`send` instead. Raises as :meth:`send` does for bad input."""
        p = self.policies
        if (
            message.idempotency_key
            or p.send_log is not None
            or p.limits is not None
            or p.rates
            or p.blocklist
            or p.breakers
            or hasattr(self.strategy, "route")
        ):
            return None
        outgoing = message.normalised(self.default_region)
        names = list(self.providers) if providers is None else self._names(providers)
        for hook in p.hooks.before_send:
            hook(outgoing)
        if p.allowlist is not None:
            self.gate.check_countries(outgoing)
        message_id, order = new_id(), list(self.strategy(names, outgoing))
        return Straight(outgoing, message_id, order, self._first_job(outgoing, message_id, order))

    def _first_job(self, message: Outgoing, message_id: str, order: list[str]) -> Job | None:
        """The engine's first request for this send, when it makes exactly one to its first provider."""
        if not order:
            return None
        provider = self.providers[order[0]]
        try:
            provider.check(message)
        except InvalidRequest:
            return None  # the engine skips this provider, saying why
        batches = provider.batches(message, message.phones)
        if len(batches) != 1 or batches[0] != message.phones:  # in one request, in the message's order
            return None
        return Job(provider, message, message.phones, 1, message_id)

    def settle(self, straight: Straight, done: Done) -> SendResult | None:
        """The result of a straight send when ``done`` (the answer to its request) accepted every
        recipient; ``None`` otherwise, and nothing is counted: then drive :meth:`resume`."""
        rows, job = done.outcome, straight.job
        if job is None or type(rows) is not list:
            return None
        for row in rows:  # in the request's order (the gateway's read put them so)
            if row.error is not None:
                return None
        phones = job.recipients
        e164 = (phones[0].e164,) if len(phones) == 1 else tuple([phone.e164 for phone in phones])
        attempt = Attempt(job.provider.alias, e164, _ACCEPTED, None, done.started_at, done.elapsed, job.number)
        log_attempt(straight.message_id, attempt)  # accepted: no on_error hook to call
        raw = done.raw
        result = SendResult(tuple(rows), (attempt,), () if raw is None else (raw,), straight.message_id)
        p = self.policies
        p.metrics.accepted(attempt.provider, len(rows))
        for hook in p.hooks.after_send:
            hook(straight.message, result)
        return result

    def resume(self, straight: Straight, done: Done | None) -> Flow:
        """A straight send carried on by the engine from ``done``, the answer to its request (never
        sent again), or from the start when it made none."""
        send = Send(straight.message, straight.message_id, None, sent=done is not None)
        result = yield from self._plan(send, send.message, straight.order, first=done)
        return self._finished(send.message, result)

    # -- before ------------------------------------------------------------------------------

    def _names(self, providers: Sequence[str] | None) -> list[str]:
        if providers is None:
            return list(self.providers)
        names = list(providers)
        unknown = [n for n in names if n not in self.providers]
        if unknown or not names:
            raise InvalidRequest(f"unknown provider(s): {', '.join(unknown) or '(none given)'}", field="providers")
        return names

    # -- the engine, per route ---------------------------------------------------------------

    def _routed(self, send: Send, names: list[str], route: Route) -> Flow:
        """With a per-country strategy (its ``route``), one plan per group of recipients."""
        message = send.message
        groups: dict[tuple[str, ...], list[PhoneNumber]] = {}
        for phone in message.phones:
            groups.setdefault(tuple(n for n in route(phone) if n in names), []).append(phone)
        parts: list[SendResult] = []
        for order, phones in groups.items():
            part = message.part(phones)
            if not order:
                error = InvalidRequest("no configured provider serves this destination", field="to")
                parts.append(SendResult(recipients=tuple(RecipientResult.failed(p, error) for p in phones)))
                continue
            parts.append((yield from self._plan(send, part, list(order))))
        rows = {r.phone.e164: r for part in parts for r in part.recipients}
        return SendResult(
            recipients=tuple(rows[p.e164] for p in message.phones),
            attempts=tuple(a for part in parts for a in part.attempts),
            responses=tuple(r for part in parts for r in part.responses),
            message_id=send.message_id,
        )

    def _plan(self, send: Send, message: Outgoing, order: list[str], first: Done | None = None) -> Flow:
        p = self.policies
        return plan(
            message,
            self.providers,
            order,
            self.retry,
            self.clock,
            breakers=p.breakers,
            message_id=send.message_id,
            on_attempt=self._observe,
            run=partial(self.batches.run, send),
            first=first,
        )

    def _observe(self, job: Job, attempt: Attempt) -> None:
        """Log and hand to the ``on_error`` hooks one finished job (counted with its send's result)."""
        log_attempt(job.message_id, attempt)
        if attempt.status is not Status.ACCEPTED:
            for hook in self.policies.hooks.on_error:
                hook(attempt)

    # -- after -------------------------------------------------------------------------------

    def _record(
        self, send: Send, result: SendResult, claim: str | None, status: str | None = None
    ) -> Generator[Step, Any, None]:
        """The message's log record (``status``: its summary, when known) and the idempotency result,
        in one write when they share a store; a failure is kept on ``result``."""
        p = self.policies
        keep = forget = None
        if claim is not None:
            if worth_keeping(result):
                keep = (claim, encode_result(result, send.digest), p.idempotency.ttl)
            else:
                forget = claim
        records: list[LogRecord] = []
        if send.record is not None:
            record = send.record
            record.status = status or _summary(result)
            record.updated_at = self.clock()
            record.message_ids = {r.phone.e164: r.message_id for r in result.recipients if r.message_id}
            records = [*send.finished, record]
            log = p.send_log
            assert log is not None
            if log is not p.store:
                write, awrite = partial(log.write_behind, records), partial(log.awrite, records, lazy=True)
                yield StoreOp(write, awrite, quiet=True, on_failure=send.failed)
                records = []
        if records or keep or forget:
            write = partial(p.store.write_behind, records, keep=keep, forget=forget)
            awrite = partial(p.store.awrite, records, keep=keep, forget=forget, lazy=True)
            yield StoreOp(write, awrite, quiet=True, on_failure=send.failed)
        if send.store_error is not None:
            result.store_error = send.store_error


_ACCEPTED = Status.ACCEPTED


def _summary(result: SendResult) -> str:
    statuses = {r.status for r in result.recipients}
    return statuses.pop().value if len(statuses) == 1 else "partial"
