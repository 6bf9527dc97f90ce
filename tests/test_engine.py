"""The engine alone: a generator driven by hand, so every step is visible and nothing waits."""

from __future__ import annotations

from typing import Any

import pytest

from smsgate import Message, RetryPolicy, Status, Throttled
from smsgate._engine import plan
from smsgate._errors import Category, OutcomeUnknown, Rejected, SmsError
from smsgate._models import RecipientResult
from smsgate._steps import Done, Job, RunJobs, Sleep
from smsgate.policy import CircuitBreaker
from smsgate.providers.memory import MemoryProvider

A, B = "+8613800138000", "+8613800138001"


def providers() -> dict[str, MemoryProvider]:
    return {"a": MemoryProvider(alias="a"), "b": MemoryProvider(alias="b")}


def message(*to: str) -> Message:
    return Message(to=list(to or [A]), template="T", params={"code": "1"}).normalised()


def drive(gen: Any, answer: Any) -> tuple[list[Any], Any]:
    """Run ``gen``, answering each :class:`RunJobs` with ``answer(job)`` per job and each :class:`Sleep`
    with ``None``; the steps are listed as their jobs or their seconds."""
    steps: list[Any] = []
    reply = None
    while True:
        try:
            step = gen.send(reply)
        except StopIteration as stop:
            return steps, stop.value
        if isinstance(step, Sleep):
            steps.append(step.seconds)
            reply = None
        else:
            assert isinstance(step, RunJobs)
            steps.append(step.jobs)
            reply = [answer(job) for job in step.jobs]


def ok(job: Job) -> Done:
    return Done([RecipientResult(p, Status.ACCEPTED, job.provider.alias, message_id="m") for p in job.recipients])


def err(error: SmsError) -> Any:
    return lambda job: Done(error)


RETRY = RetryPolicy(random=lambda: 1.0, base_delay=0.5, max_attempts=3)


def test_accepted_first_time_yields_one_job() -> None:
    steps, result = drive(plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0), ok)
    assert len(steps) == 1 and steps[0][0].provider.alias == "a"
    assert result.ok and [a.provider for a in result.attempts] == ["a"]


def test_retryable_error_retries_with_backoff_then_fails_over() -> None:
    answers = iter([Done(Throttled("slow", retry_after=2.0)), Done(Throttled("slow")), Done(Throttled("slow"))])
    steps, result = drive(
        plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0),
        lambda job: next(answers) if job.provider.alias == "a" else ok(job),
    )
    sleeps = [s for s in steps if isinstance(s, float)]
    assert sleeps == [2.0, 1.0]  # Retry-After beats the 0.5 s backoff; then 0.5 * 2
    assert [(a.provider, a.number) for a in result.attempts] == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    assert result.ok and result[A].provider == "b"


@pytest.mark.parametrize("category", [Category.AUTH, Category.QUOTA])
def test_failover_categories_move_on_without_retry(category: Category) -> None:
    _, result = drive(
        plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0),
        lambda job: Done(Rejected("no", category=category)) if job.provider.alias == "a" else ok(job),
    )
    assert [a.provider for a in result.attempts] == ["a", "b"] and result.ok


@pytest.mark.parametrize("category", [Category.RECIPIENT, Category.TEMPLATE, Category.INVALID])
def test_request_errors_stop(category: Category) -> None:
    _, result = drive(
        plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0), err(Rejected("no", category=category))
    )
    assert [a.provider for a in result.attempts] == ["a"]
    assert result[A].status is Status.REJECTED


def test_unknown_outcome_stops_unless_opted_in() -> None:
    _, result = drive(plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0), err(OutcomeUnknown("timeout")))
    assert [a.provider for a in result.attempts] == ["a"] and result[A].status is Status.UNKNOWN
    opt_in = RetryPolicy(random=lambda: 0.0, retry_unknown=True, max_attempts=2)
    _, again = drive(plan(message(), providers(), ["a", "b"], opt_in, lambda: 0.0), err(OutcomeUnknown("t")))
    assert [(a.provider, a.number) for a in again.attempts] == [("a", 1), ("a", 2)]


def test_deadline_stops_retries() -> None:
    slow = RetryPolicy(random=lambda: 1.0, deadline=1.0)
    steps, result = drive(
        plan(message(), providers(), ["a"], slow, lambda: 0.0), err(Throttled("slow", retry_after=5.0))
    )
    assert not any(isinstance(s, float) for s in steps)
    assert len(result.attempts) == 1 and result[A].status is Status.REJECTED


def test_split_request_only_failed_recipients_move_on() -> None:
    ps = providers()
    ps["a"].max_recipients = 1  # type: ignore[misc]

    def answer(job: Job) -> Done:
        if job.provider.alias == "a" and job.recipients[0].e164 == B:
            return Done(Throttled("busy", retryable=False))
        return ok(job)

    steps, result = drive(plan(message(A, B), ps, ["a", "b"], RETRY, lambda: 0.0), answer)
    assert [len(s) for s in steps] == [2, 1]  # two requests at a, then only B at b
    assert steps[1][0].recipients[0].e164 == B
    assert result[A].provider == "a" and result[B].provider == "b"


def test_open_breaker_is_skipped() -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=60, clock=lambda: 0.0)
    breaker.record(Throttled("x"))
    steps, result = drive(plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0, breakers={"a": breaker}), ok)
    assert [job.provider.alias for job in steps[0]] == ["b"]
    assert result.ok


def test_every_breaker_open_fails_unsent() -> None:
    breaker = CircuitBreaker(threshold=1, cooldown=60, clock=lambda: 0.0)
    breaker.record(Throttled("x"))
    steps, result = drive(plan(message(), providers(), ["a"], RETRY, lambda: 0.0, breakers={"a": breaker}), ok)
    assert steps == [] and result[A].status is Status.FAILED
    assert "circuit breaker" in str(result[A].error)


def test_message_id_is_carried_to_jobs_and_result() -> None:
    steps, result = drive(plan(message(), providers(), ["a"], RETRY, lambda: 0.0, message_id="mid"), ok)
    assert steps[0][0].message_id == "mid" and result.message_id == "mid"


def test_a_first_answer_given_is_never_sent_again() -> None:
    """The straight path's request, answered before the plan ran: the plan carries on from it."""
    first = Done(Throttled("slow", retry_after=2.0))
    steps, result = drive(plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0, first=first), ok)
    assert steps[0] == 2.0 and [(j.provider.alias, j.number) for j in steps[1]] == [("a", 2)]
    assert [(a.provider, a.number, a.status) for a in result.attempts] == [
        ("a", 1, Status.REJECTED),
        ("a", 2, Status.ACCEPTED),
    ]


def test_a_first_answer_of_an_unknown_outcome_is_final() -> None:
    steps, result = drive(
        plan(message(), providers(), ["a", "b"], RETRY, lambda: 0.0, first=Done(OutcomeUnknown("503"))), ok
    )
    assert steps == [] and result[A].status is Status.UNKNOWN and len(result.attempts) == 1


def test_a_first_answer_for_a_batch_of_many_requests_is_refused() -> None:
    class OnePerRequest(MemoryProvider):
        max_recipients = 1

    gen = plan(message(A, B), {"a": OnePerRequest(alias="a")}, ["a"], RETRY, lambda: 0.0, first=Done([]))
    with pytest.raises(ValueError, match="more than one request"):
        drive(gen, ok)
