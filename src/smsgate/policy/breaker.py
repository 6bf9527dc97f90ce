"""A circuit breaker per provider: skip a failing provider for a cool-down, then let one probe through."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .._errors import Category, SmsError

__all__ = ["CircuitBreaker"]

_UNHEALTHY = frozenset({Category.AUTH, Category.QUOTA, Category.THROTTLED, Category.UNREACHABLE, Category.UNKNOWN})


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures of the provider itself (auth, quota,
    throttling, unreachable, unknown outcomes; not bad recipients or templates). While open the
    provider is skipped; after ``cooldown`` seconds one request probes it (half-open): success
    closes the circuit, failure opens it again. In-process state; thread-safe.
    """

    def __init__(self, threshold: int = 5, cooldown: float = 30.0, *, clock: Callable[[], float] = time.monotonic):
        if threshold < 1 or cooldown < 0:
            raise ValueError("CircuitBreaker needs threshold >= 1 and cooldown >= 0")
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half-open``."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self.clock() - self._opened_at >= self.cooldown else "open"

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.state} failures={self._failures}>"

    def allow(self) -> bool:
        """Whether a request may go now; in the half-open state only one probe at a time."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self.clock() - self._opened_at < self.cooldown or self._probing:
                return False
            self._probing = True
            return True

    def record(self, error: SmsError | None) -> None:
        """Record an answer: ``None`` for accepted, else the error."""
        with self._lock:
            self._probing = False
            if error is None:
                self._failures = 0
                self._opened_at = None
            elif error.category in _UNHEALTHY:
                self._failures += 1
                if self._opened_at is not None or self._failures >= self.threshold:
                    self._opened_at = self.clock()
            elif self._opened_at is not None:
                self._opened_at = None  # the probe got a real answer: the provider is up
                self._failures = 0
