"""The send flow: the policies around the engine, as one generator a gateway drives (no I/O here).

:meth:`SendFlow.send` checks the lists, claims the idempotency key and counts the limits (one
:class:`StoreOp`), runs :func:`~smsgate._engine.plan`, and records the result. Each batch of
requests the engine makes passes through :meth:`SendFlow._jobs`: a token from each provider's
bucket, the *pending* send-log records written before any request leaves (with the message's own
record before its first request), the requests (:class:`RunJobs`), then the records finished: at
once when a request carries only part of the message, else together with the message's record
and the idempotency result, in one write.

The flow owns the :class:`Policies` and the message's log record; it imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ._engine import attempt_of, plan
from ._errors import Category, InvalidRequest, PolicyRefused, RequestFailed, SmsError, Throttled
from ._models import Attempt, Message, Outgoing, RecipientResult, SendResult, Status, new_id
from ._observe import Hooks, Metrics, log_attempt, log_refusal, logger
from ._phone import PhoneNumber
from ._retry import RetryPolicy
from ._steps import Done, Job, RunJobs, Step, StoreOp
from .policy.breaker import CircuitBreaker
from .policy.idempotency import (
    PENDING,
    Idempotency,
    claim_value,
    decode_result,
    encode_result,
    fingerprint,
    same_message,
    worth_keeping,
)
from .policy.limits import PhoneLimits, ProviderRate
from .policy.lists import Blocklist, CountryAllowlist
from .providers.base import Provider
from .stores.base import LogRecord, Store, Window
from .strategies import Strategy

__all__ = ["Policies", "SendFlow"]

Flow = Generator[Step, Any, SendResult]


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


@dataclass
class _Send:
    """One send's own state: its id, its log record (``None`` without a send log), the finished
    attempt records waiting to be written with it."""

    message: Outgoing
    message_id: str
    record: LogRecord | None
    opened: bool = False  # the message's record is written (before its first request)
    finished: list[LogRecord] = field(default_factory=list)
    sent: bool = False  # some request may have left
    store_error: Exception | None = None  # the first store failure once something was sent

    def failed(self, error: Exception) -> None:
        """A store failed after a request left: keep the first failure; nothing more is sent."""
        if self.store_error is None:
            self.store_error = error


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

    def send(self, message: Message, providers: Sequence[str] | None = None) -> Flow:
        """Send ``message`` (through ``providers`` when given, in the strategy's order)."""
        p = self.policies
        message = message.normalised(self.default_region)
        names = self._names(providers)
        phones = [phone.e164 for phone in message.phones]
        for hook in p.hooks.before_send:
            hook(message)
        claim = Idempotency.key(message.idempotency_key) if message.idempotency_key else None
        replayed = yield from self._admit(message, phones, claim)
        if replayed is not None:
            return replayed

        message_id = new_id()
        record = None
        if p.send_log is not None:
            now = self.clock()
            record = LogRecord(message_id, "message", message_id, tuple(phones), "pending", now, now)
        send = _Send(message, message_id, record)
        try:
            result = yield from self._routed(send, names)
        except SmsError:  # only raised when no provider could take the message: nothing was sent
            if claim is not None:
                yield StoreOp(partial(p.store.delete, claim), partial(p.store.adelete, claim))
            raise
        yield from self._record(send, result, claim)
        if send.store_error is not None:
            result.store_error = send.store_error
        p.metrics.result(result)
        for after_hook in p.hooks.after_send:
            after_hook(message, result)
        return result

    # -- before ------------------------------------------------------------------------------

    def _names(self, providers: Sequence[str] | None) -> list[str]:
        if providers is None:
            return list(self.providers)
        names = list(providers)
        unknown = [n for n in names if n not in self.providers]
        if unknown or not names:
            raise InvalidRequest(f"unknown provider(s): {', '.join(unknown) or '(none given)'}", field="providers")
        return names

    def _admit(
        self, message: Outgoing, phones: list[str], claim: str | None
    ) -> Generator[Step, Any, SendResult | None]:
        """Lists, the idempotency claim and the limits, in one store operation; a replayed result or ``None``."""
        p = self.policies
        if p.allowlist is not None:
            barred = [phone.e164 for phone in message.phones if not p.allowlist.allows(phone)]
            if barred:
                raise self._refuse("country_allowlist", f"country not allowed: {', '.join(barred)}", barred)
        blocked = [Blocklist.key(phone) for phone in phones] if p.blocklist else []
        rules: list[tuple[str, str]] = []
        windows: list[Window] = []
        if p.limits is not None:
            now = self.clock()
            for phone in phones:
                for rule, window in p.limits.windows(phone, now):
                    rules.append((rule, phone))
                    windows.append(window)
        if not (blocked or claim or windows):
            return None
        digest = fingerprint(message) if claim else ""
        claiming = (claim, claim_value(digest), p.idempotency.claim_ttl) if claim else None
        args = (blocked, claiming, windows)
        refusal = yield StoreOp(partial(p.store.admit, *args), partial(p.store.aadmit, *args))
        if refusal is None:
            return None
        if refusal.kind == "blocked":
            raise self._refuse("blocklist", f"blocklisted: {phones[refusal.detail]}", [phones[refusal.detail]])
        if refusal.kind == "claimed":
            if same_message(refusal.detail, digest).startswith(PENDING):  # raises for another message
                raise self._refuse("idempotency", "a send with this idempotency key is still in progress", phones)
            replayed = decode_result(refusal.detail)
            p.metrics.result(replayed)
            return replayed
        rule, phone = rules[refusal.detail]
        raise self._refuse(rule, f"send limit {rule}={getattr(p.limits, rule)} reached for {phone}", [phone])

    def _refuse(self, rule: str, text: str, phones: Sequence[str]) -> PolicyRefused:
        self.policies.metrics.refusal(rule)
        log_refusal(rule, phones)
        return PolicyRefused(text, rule=rule)

    # -- the engine, per route ---------------------------------------------------------------

    def _routed(self, send: _Send, names: list[str]) -> Flow:
        """One plan, or with a per-country strategy one per group of recipients."""
        route: Callable[[PhoneNumber], Sequence[str]] | None = getattr(self.strategy, "route", None)
        message = send.message
        if route is None:
            return (yield from self._plan(send, message, list(self.strategy(names, message))))
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

    def _plan(self, send: _Send, message: Outgoing, order: list[str]) -> Flow:
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
            run=partial(self._jobs, send),
        )

    def _observe(self, job: Job, attempt: Attempt) -> None:
        """Log and hand to the ``on_error`` hooks one finished job (counted with its send's result)."""
        log_attempt(job.message_id, attempt)
        if attempt.status is not Status.ACCEPTED:
            for hook in self.policies.hooks.on_error:
                hook(attempt)

    # -- each batch of requests --------------------------------------------------------------

    def _jobs(self, send: _Send, jobs: list[Job]) -> Generator[Step, Any, list[Done]]:
        """Rate tokens, pending records, the requests, finished records; one :class:`Done` per job."""
        p = self.policies
        if send.store_error is None and not p.rates and p.send_log is None:
            send.sent = True
            done: list[Done] = yield RunJobs(jobs)
            return done
        refused: dict[int, Done] = {}
        for index, job in enumerate(jobs):
            rate = p.rates.get(job.provider.alias)
            if rate is None or send.store_error is not None:
                continue
            args = (f"rate:{job.provider.alias}", rate.interval, rate.burst, rate.max_wait, self.clock())
            wait = yield from self._guarded(
                send, StoreOp(partial(p.store.reserve, *args), partial(p.store.areserve, *args))
            )
            if send.store_error is not None:
                break
            if wait is None:
                text = f"request rate limit {rate.rate:g}/s reached"
                error = Throttled(text, provider=job.provider.alias, category=Category.THROTTLED, retryable=False)
                refused[index] = Done(error, self.clock(), 0.0)
            else:
                job.delay = wait
        records = self._opening(send, [job for index, job in enumerate(jobs) if index not in refused])
        if records:  # durable before any of these requests leaves
            log = p.send_log
            assert log is not None
            yield from self._guarded(send, StoreOp(partial(log.write, records), partial(log.awrite, records)))
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

    def _opening(self, send: _Send, jobs: list[Job]) -> list[LogRecord]:
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

    def _closing(self, send: _Send, pending: dict[int, LogRecord], job: Job, done: Done) -> StoreOp[Any] | None:
        """Finish a job's record as it finishes: written at once, unless the request was for the
        whole message (then it is written with the message's record)."""
        record = pending[id(job)]
        attempt = attempt_of(job.provider.alias, job, done)
        record.status = attempt.status.value
        record.updated_at = self.clock()
        record.error = attempt.error.to_dict() if attempt.error else None
        if isinstance(done.outcome, list):
            record.message_ids = {r.phone.e164: r.message_id for r in done.outcome if r.message_id}
        if len(job.recipients) == len(send.message.phones):
            send.finished.append(record)
            return None
        log = self.policies.send_log
        assert log is not None
        return StoreOp(partial(log.write, [record]), partial(log.awrite, [record]), quiet=True, on_failure=send.failed)

    def _halted(self, send: _Send, job: Job) -> Done | None:
        """Asked before each request leaves: once a store failed, the answer is "not sent"."""
        return None if send.store_error is None else self._unsent(send)

    def _unsent(self, send: _Send) -> Done:
        assert send.store_error is not None
        error = RequestFailed(f"not sent: the store failed mid-send ({type(send.store_error).__name__})")
        return Done(error, self.clock(), 0.0)

    def _guarded(self, send: _Send, op: StoreOp[Any]) -> Generator[Step, Any, Any]:
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

    # -- after -------------------------------------------------------------------------------

    def _record(self, send: _Send, result: SendResult, claim: str | None) -> Generator[Step, Any, None]:
        """The message's log record and the idempotency result, in one write when they share a store."""
        p = self.policies
        keep = forget = None
        if claim is not None:
            if worth_keeping(result):
                keep = (claim, encode_result(result, fingerprint(send.message)), p.idempotency.ttl)
            else:
                forget = claim
        records: list[LogRecord] = []
        if send.record is not None:
            record = send.record
            record.status = _summary(result)
            record.updated_at = self.clock()
            record.message_ids = {r.phone.e164: r.message_id for r in result.recipients if r.message_id}
            records = [*send.finished, record]
            log = p.send_log
            assert log is not None
            if log is not p.store:
                yield StoreOp(
                    partial(log.write, records), partial(log.awrite, records), quiet=True, on_failure=send.failed
                )
                records = []
        if records or keep or forget:
            write = partial(p.store.write, records, keep=keep, forget=forget)
            awrite = partial(p.store.awrite, records, keep=keep, forget=forget)
            yield StoreOp(write, awrite, quiet=True, on_failure=send.failed)


def _summary(result: SendResult) -> str:
    statuses = {r.status for r in result.recipients}
    return statuses.pop().value if len(statuses) == 1 else "partial"
