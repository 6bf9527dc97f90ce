"""The circuit breaker's states, driven by an injected clock."""

from __future__ import annotations

import pytest

from smsgate._errors import Category, OutcomeUnknown, Rejected, Throttled
from smsgate.policy import CircuitBreaker


def test_opens_after_threshold_then_probes_once() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=lambda: now[0])
    for _ in range(2):
        breaker.record(OutcomeUnknown("t"))
    assert breaker.state == "closed" and breaker.allow()
    breaker.record(Throttled("t"))
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.0
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # one probe at a time
    breaker.record(OutcomeUnknown("still down"))
    assert breaker.state == "open"
    now[0] = 20.0
    assert breaker.allow()
    breaker.record(None)
    assert breaker.state == "closed" and breaker.allow()


def test_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=2, clock=lambda: 0.0)
    breaker.record(OutcomeUnknown("t"))
    breaker.record(None)
    breaker.record(OutcomeUnknown("t"))
    assert breaker.state == "closed"


def test_request_errors_do_not_count() -> None:
    breaker = CircuitBreaker(threshold=1, clock=lambda: 0.0)
    breaker.record(Rejected("bad number", category=Category.RECIPIENT))
    breaker.record(Rejected("bad template", category=Category.TEMPLATE))
    assert breaker.state == "closed"


def test_bad_configuration() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(threshold=0)
