"""The I/O-free heart of both gateways: split, retry and fail over, as a generator.

:func:`plan` yields steps (``_steps``) and receives their outcomes: :class:`RunJobs` (answered
with one :class:`Done` per job, in order) or :class:`Sleep` (answered ``None``). Its return
value is the :class:`SendResult`. The send flow (``_flow``) runs it inside its policies; the
gateways carry the steps out with threads or tasks. Nothing here waits, so the two cannot disagree.

Rules, by outcome:
* accepted: done;
* an error marked ``retryable`` (documented as safe: throttling, connect failure): the same
  provider again, per :class:`RetryPolicy`, for that request's recipients only;
* then, if another provider could succeed (``error.failover``: auth, quota, throttled,
  unreachable): the next provider in order, for those recipients only;
* anything else (bad recipient or template, an unknown outcome): final, reported as is.

A provider whose circuit breaker is open is skipped, like one that failed over; its recipients
go to the next provider.

A provider that cannot take the message at all (no template for it, a missing param) is
skipped; when no provider could take it, its :class:`InvalidRequest` is raised, nothing sent.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from typing import Any, Protocol

from ._errors import InvalidRequest, SmsError, Unreachable
from ._models import Attempt, Outgoing, RecipientResult, SendResult, Status
from ._phone import PhoneNumber
from ._retry import RetryPolicy
from ._steps import Done, Job, RunJobs, Sleep, Step
from .providers.base import Provider

__all__ = ["Breaker", "attempt_of", "plan"]


class Breaker(Protocol):
    """What the engine asks of a circuit breaker (``smsgate.CircuitBreaker``)."""

    def allow(self) -> bool: ...

    def record(self, error: SmsError | None) -> None: ...


def plan(
    message: Outgoing,
    providers: Mapping[str, Provider],
    order: Sequence[str],
    retry: RetryPolicy,
    clock: Callable[[], float],
    *,
    breakers: Mapping[str, Breaker] | None = None,
    message_id: str | None = None,
    on_attempt: Callable[[Job, Attempt], Any] | None = None,
    run: Callable[[list[Job]], Generator[Step, Any, list[Done]]] | None = None,
    first: Done | None = None,
) -> Generator[Step, Any, SendResult]:
    """Send ``message`` (already normalised) through ``order``; see the module docstring.

    ``on_attempt(job, attempt)`` is called for each finished job (for logs and hooks); ``run(jobs)``
    makes a batch of requests (by default: one :class:`RunJobs` step), where the flow adds its policies.
    ``first`` is the answer to the first batch when it was sent already (the gateways' straight path,
    which sends that batch's one job itself, and the flow's first request), made to the first provider
    in ``order`` after the caller checked that provider and asked its breaker: it is never sent
    again, and neither is asked again.
    """
    run = run or _run
    start = clock()
    final: dict[str, RecipientResult] = {}
    last_error: dict[str, SmsError] = {}
    attempts: list[Attempt] = []
    responses: list[Any] = []
    pending: list[PhoneNumber] = list(message.phones)
    unusable: list[InvalidRequest] = []

    for alias in order:
        if not pending:
            break
        provider = providers[alias]
        breaker = breakers.get(alias) if breakers else None
        if first is None:  # else the caller checked the first provider and asked its breaker
            try:
                provider.check(message)
            except InvalidRequest as exc:
                exc.provider = alias
                unusable.append(exc)
                last_error.update((p.e164, exc) for p in pending)
                continue
            if breaker is not None and not breaker.allow():
                skipped = Unreachable("skipped: circuit breaker open", provider=alias)
                last_error.update((p.e164, skipped) for p in pending)
                continue
        moving_on: list[PhoneNumber] = []
        mid = message_id or ""
        todo = [Job(provider, message, batch, 1, mid) for batch in provider.batches(message, pending)]
        while todo:
            if first is not None:
                if len(todo) != 1:
                    raise ValueError("an answer given for a first batch of more than one request")
                done, first = [first], None
            else:
                done = yield from run(todo)
            again: list[Job] = []
            wait = 0.0
            for job, result in zip(todo, done, strict=True):
                if result.raw is not None:
                    responses.append(result.raw)
                attempt = attempt_of(alias, job, result)
                attempts.append(attempt)
                if on_attempt is not None:
                    on_attempt(job, attempt)
                if breaker is not None:
                    breaker.record(attempt.error)
                rows = result.outcome
                if isinstance(rows, SmsError):
                    rows = [RecipientResult.failed(p, rows, alias) for p in job.recipients]
                retry_phones: list[PhoneNumber] = []
                for row in rows:
                    error = row.error
                    if error is None:
                        final[row.phone.e164] = row
                        continue
                    delay = retry.delay(error, job.number) if retry.should_retry(error, job.number) else None
                    if delay is not None and clock() + delay - start <= retry.deadline:
                        retry_phones.append(row.phone)
                        wait = max(wait, delay)
                    elif error.failover:
                        moving_on.append(row.phone)
                        last_error[row.phone.e164] = error
                    else:
                        final[row.phone.e164] = row
                if retry_phones:
                    again.append(Job(provider, message, tuple(retry_phones), job.number + 1, mid))
            if again and wait > 0:
                yield Sleep(float(wait))
            todo = again
        pending = moving_on

    if first is not None:  # cannot happen: the straight path sends only what this plan sends first
        raise RuntimeError("a request was sent that the plan did not make")
    if unusable and not attempts and len(unusable) == len(order):
        raise unusable[0]  # no provider could take this message; nothing was sent
    for phone in pending:
        final[phone.e164] = RecipientResult.failed(phone, last_error[phone.e164])
    lines = tuple([final[p.e164] for p in message.phones])
    if message_id is None:
        return SendResult(lines, tuple(attempts), tuple(responses))
    return SendResult(lines, tuple(attempts), tuple(responses), message_id)


def _run(jobs: list[Job]) -> Generator[Step, Any, list[Done]]:
    done: list[Done] = yield RunJobs(jobs)
    return done


def attempt_of(alias: str, job: Job, result: Done) -> Attempt:
    """The :class:`Attempt` line for one finished job."""
    outcome = result.outcome
    error: SmsError | None
    if isinstance(outcome, SmsError):
        status, error = Status.of(outcome), outcome
    elif outcome and not any([row.error is None for row in outcome]):
        status, error = outcome[0].status, outcome[0].error
    else:  # answered, with at least one recipient accepted (per-recipient detail is in the results)
        status, error = Status.ACCEPTED, None
    phones = tuple([p.e164 for p in job.recipients])
    return Attempt(alias, phones, status, error, result.started_at, result.elapsed, job.number)
