"""When to try the same provider again, and how long to wait first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from ._errors import SmsError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of one request at one provider.

    Only errors marked ``retryable`` (documented as safe: gateway throttling, connect failures)
    are retried; an *unknown* outcome is retried only with ``retry_unknown=True``, since the
    first request may have been delivered. Waits are exponential with full jitter, and never
    shorter than the provider's ``Retry-After``. No retry starts after ``deadline`` seconds from
    the start of the send.
    """

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 20.0
    deadline: float = 60.0
    retry_unknown: bool = False
    random: Callable[[], float] = field(default=random.random, repr=False)

    def should_retry(self, error: SmsError, attempt: int) -> bool:
        if attempt >= self.max_attempts:
            return False
        if error.retryable:
            return True
        return self.retry_unknown and error.category.value == "unknown"

    def delay(self, error: SmsError, attempt: int) -> float:
        """Seconds to wait before try number ``attempt + 1``."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        jittered = ceiling * self.random()
        return float(max(jittered, error.retry_after or 0.0))


NO_RETRY = RetryPolicy(max_attempts=1)
