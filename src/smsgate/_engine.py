"""The I/O-free heart of both gateways: split, retry and fail over, as a generator.

:func:`plan` yields steps and receives their outcomes: a list of :class:`Job` to run (the
driver answers with one :class:`Done` per job, in order) or a float of seconds to sleep (the
driver answers ``None``). Its return value is the :class:`SendResult`. ``Gateway`` drives it with
threads and ``time.sleep``; ``AsyncGateway`` with tasks and ``asyncio.sleep``. Nothing here
waits, so the two cannot disagree. The policy layer around it (``_flow``) adds two more steps
that drivers run: :class:`Call` (a store operation) and :class:`Request` (send one job).

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
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidRequest, SmsError, Unreachable
from ._models import Attempt, Message, RecipientResult, SendResult, Status
from ._phone import PhoneNumber
from ._retry import RetryPolicy
from .policy.breaker import CircuitBreaker
from .providers.base import Provider

__all__ = ["Call", "Done", "Job", "Request", "Step", "attempt_of", "plan"]


@dataclass(slots=True)
class Job:
    """One request to make: this provider, this message, these recipients, try number ``number``."""

    provider: Provider
    message: Message
    recipients: tuple[PhoneNumber, ...]
    number: int = 1
    message_id: str = ""


@dataclass(slots=True)
class Done:
    """What became of a job: rows per recipient, or one error for the whole request."""

    outcome: list[RecipientResult] | SmsError
    started_at: float = 0.0
    elapsed: float = 0.0
    raw: Any = None
    note: Any = None  # the driver's own (the send-log record to finish); the engine ignores it


@dataclass(slots=True)
class Call:
    """A store operation: sync drivers call ``target.<name>(*args)``, async ones await ``target.a<name>(*args)``."""

    target: Any
    name: str
    args: tuple[Any, ...] = ()


@dataclass(slots=True)
class Request:
    """Send ``job`` now (one HTTP request or local delivery); the driver answers with a :class:`Done`."""

    job: Job


Step = list[Job] | float | Call | Request


def plan(
    message: Message,
    providers: Mapping[str, Provider],
    order: Sequence[str],
    retry: RetryPolicy,
    clock: Callable[[], float],
    *,
    breakers: Mapping[str, CircuitBreaker] | None = None,
    message_id: str | None = None,
    on_attempt: Callable[[Job, Attempt], Any] | None = None,
) -> Generator[Step, Any, SendResult]:
    """Send ``message`` (already normalised) through ``order``; see the module docstring.

    ``on_attempt(job, attempt)`` is called for each finished job (for metrics, logs and hooks).
    """
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
        try:
            provider.check(message)
        except InvalidRequest as exc:
            exc.provider = alias
            unusable.append(exc)
            last_error.update((p.e164, exc) for p in pending)
            continue
        breaker = breakers.get(alias) if breakers else None
        if breaker is not None and not breaker.allow():
            skipped = Unreachable("skipped: circuit breaker open", provider=alias)
            last_error.update((p.e164, skipped) for p in pending)
            continue
        moving_on: list[PhoneNumber] = []
        mid = message_id or ""
        todo = [Job(provider, message, batch, 1, mid) for batch in provider.batches(message, pending)]
        while todo:
            done: list[Done] = yield todo
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
                yield float(wait)
            todo = again
        pending = moving_on

    if unusable and not attempts and len(unusable) == len(order):
        raise unusable[0]  # no provider could take this message; nothing was sent
    for phone in pending:
        final[phone.e164] = RecipientResult.failed(phone, last_error[phone.e164])
    lines = tuple([final[p.e164] for p in message.phones])
    if message_id is None:
        return SendResult(lines, tuple(attempts), tuple(responses))
    return SendResult(lines, tuple(attempts), tuple(responses), message_id)


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
