"""The send flow: the policies around the engine, as one generator a gateway drives (no I/O here).

:meth:`SendFlow.send` checks the lists, claims the idempotency key and counts the limits (one
:class:`StoreOp`), runs :func:`~smsgate._engine.plan`, and records the result. Each batch of
requests the engine makes passes through :meth:`Batches.run <smsgate._flow_jobs.Batches.run>`
(rate tokens, send-log records); the message's own record and the idempotency result are written
at the end, in one write.

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
from ._errors import InvalidRequest, PolicyRefused, SmsError
from ._flow_jobs import Batches, Policies, Send
from ._models import Attempt, Message, Outgoing, RecipientResult, SendResult, Status, new_id
from ._observe import log_attempt, log_refusal
from ._phone import PhoneNumber
from ._retry import RetryPolicy
from ._steps import Done, Job, Step, StoreOp
from .policy.idempotency import (
    PENDING,
    Idempotency,
    claim_parts,
    claim_value,
    decode_result,
    encode_result,
    fingerprint,
    interrupted,
    same_message,
    worth_keeping,
)
from .policy.lists import Blocklist
from .providers.base import Provider
from .stores.base import LogRecord, Window
from .strategies import Strategy

__all__ = ["Policies", "SendFlow", "Straight"]

Flow = Generator[Step, Any, SendResult]


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
        send = Send(message, message_id, record, claim=claim)
        try:
            result = yield from self._routed(send, names)
        except SmsError:  # only raised when no provider could take the message: nothing was sent
            if claim is not None:
                yield StoreOp(partial(p.store.delete, claim), partial(p.store.adelete, claim))
            raise
        yield from self._record(send, result, claim)
        if send.store_error is not None:
            result.store_error = send.store_error
        return self._finished(message, result)

    def _finished(self, message: Outgoing, result: SendResult) -> SendResult:
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
            self._check_countries(outgoing)
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
        if job is None or type(rows) is not list or any([row.error is not None for row in rows]):
            return None
        phones = job.recipients  # the message's, in order
        e164 = tuple([phone.e164 for phone in phones])
        attempt = Attempt(job.provider.alias, e164, _ACCEPTED, None, done.started_at, done.elapsed, job.number)
        log_attempt(straight.message_id, attempt)  # accepted: no on_error hook to call
        if [row.phone for row in rows] != list(phones):
            by_phone = {row.phone.e164: row for row in rows}
            rows = [by_phone[phone.e164] for phone in phones]
        responses = () if done.raw is None else (done.raw,)
        result = SendResult(tuple(rows), (attempt,), responses, straight.message_id)
        self.policies.metrics.accepted(attempt.provider, len(rows))
        for hook in self.policies.hooks.after_send:
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

    def _admit(
        self, message: Outgoing, phones: list[str], claim: str | None
    ) -> Generator[Step, Any, SendResult | None]:
        """Lists, the idempotency claim and the limits, in one store operation; a replayed result or ``None``."""
        p = self.policies
        self._check_countries(message)
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
                _, sent, lease = claim_parts(refusal.detail)
                if sent is None or lease is None or lease > self.clock():
                    raise self._refuse("idempotency", "a send with this idempotency key is still in progress", phones)
                replayed = yield from self._interrupted(message, sent)
            else:
                replayed = decode_result(refusal.detail)
            p.metrics.result(replayed)
            return replayed
        rule, phone = rules[refusal.detail]
        raise self._refuse(rule, f"send limit {rule}={getattr(p.limits, rule)} reached for {phone}", [phone])

    def _interrupted(self, message: Outgoing, message_id: str) -> Generator[Step, Any, SendResult]:
        """The answer for a key whose send stopped after a request may have left: what its log shows."""
        log, found = self.policies.send_log, []
        if log is not None:
            query, aquery = (
                partial(log.log_query, message_id=message_id),
                partial(log.alog_query, message_id=message_id),
            )
            found = yield StoreOp(query, aquery)
        refs = [(r.provider, r.message_ids) for r in found if r.kind == "attempt" and r.provider]
        accepted = {phone: (provider, ref) for provider, ids in refs for phone, ref in ids.items()}
        return interrupted(message_id, message.phones, accepted)

    def _check_countries(self, message: Outgoing) -> None:
        allowlist = self.policies.allowlist
        if allowlist is not None:
            barred = [phone.e164 for phone in message.phones if not allowlist.allows(phone)]
            if barred:
                raise self._refuse("country_allowlist", f"country not allowed: {', '.join(barred)}", barred)

    def _refuse(self, rule: str, text: str, phones: Sequence[str]) -> PolicyRefused:
        self.policies.metrics.refusal(rule)
        log_refusal(rule, phones)
        return PolicyRefused(text, rule=rule)

    # -- the engine, per route ---------------------------------------------------------------

    def _routed(self, send: Send, names: list[str]) -> Flow:
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

    def _record(self, send: Send, result: SendResult, claim: str | None) -> Generator[Step, Any, None]:
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
                write, awrite = partial(log.write, records, lazy=True), partial(log.awrite, records, lazy=True)
                yield StoreOp(write, awrite, quiet=True, on_failure=send.failed)
                records = []
        if records or keep or forget:
            write = partial(p.store.write, records, keep=keep, forget=forget, lazy=True)
            awrite = partial(p.store.awrite, records, keep=keep, forget=forget, lazy=True)
            yield StoreOp(write, awrite, quiet=True, on_failure=send.failed)


_ACCEPTED = Status.ACCEPTED


def _summary(result: SendResult) -> str:
    statuses = {r.status for r in result.recipients}
    return statuses.pop().value if len(statuses) == 1 else "partial"
