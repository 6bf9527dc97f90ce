"""Hooks, counters and structured logs around sends. Logs never carry params, codes or secrets.

Hooks are plain callables: ``before_send(message)`` may raise :class:`~smsgate.PolicyRefused`
to refuse a message (nothing is sent); ``after_send(message, result)`` sees every result;
``on_error(attempt)`` sees every attempt that did not succeed.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._models import Attempt, Message, SendResult, Status
from ._phone import mask_phone

__all__ = ["Hooks", "Metrics", "mask_phone"]

logger = logging.getLogger("smsgate")
_ACCEPTED = Status.ACCEPTED
_FOLD_AT = 4096  # noted sends counted at once (a bound on the list)


@dataclass
class Hooks:
    """Callables run around each send, in the order given."""

    before_send: Sequence[Callable[[Message], Any]] = field(default_factory=list)
    after_send: Sequence[Callable[[Message, SendResult], Any]] = field(default_factory=list)
    on_error: Sequence[Callable[[Attempt], Any]] = field(default_factory=list)


class Metrics:
    """Counters per ``(provider, outcome)`` for attempts and per ``outcome`` for recipients.

    A send whose one request accepted its one recipient (the straight path's usual send) is noted
    by appending its provider to a list (atomic, so lock-free) and counted when the counters are
    next read: never lost, even when threads count and read at once.
    """

    def __init__(self) -> None:
        self._attempts: Counter[tuple[str, str]] = Counter()
        self._recipients: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._one_accepted: list[str] = []  # providers, one per send accepted whole with one recipient

    @property
    def attempts(self) -> Counter[tuple[str, str]]:
        """Attempts per ``(provider, outcome)``."""
        with self._lock:
            self._fold()
            return self._attempts

    @property
    def recipients(self) -> Counter[str]:
        """Recipients per outcome."""
        with self._lock:
            self._fold()
            return self._recipients

    def attempt(self, attempt: Attempt) -> None:
        with self._lock:
            self._attempts[(attempt.provider, attempt.status)] += 1  # Status is a str: "accepted"…

    def result(self, result: SendResult) -> None:
        """Count a finished send: its recipients and, unless it was replayed, its attempts."""
        with self._lock:
            for row in result.recipients:
                self._recipients[row.status] += 1
            if not result.replayed:
                for attempt in result.attempts:
                    self._attempts[(attempt.provider, attempt.status)] += 1

    def accepted(self, provider: str, recipients: int) -> None:
        """Count a send whose one request to ``provider`` accepted all its ``recipients``: what
        :meth:`result` counts for it, without walking the result."""
        if recipients == 1:
            pending = self._one_accepted
            pending.append(provider)
            if len(pending) >= _FOLD_AT:
                with self._lock:
                    self._fold()
            return
        with self._lock:
            self._recipients[_ACCEPTED] += recipients
            self._attempts[(provider, _ACCEPTED)] += 1

    def _fold(self) -> None:
        """Count the noted one-recipient sends (under the lock); a send noted meanwhile stays noted."""
        pending = self._one_accepted
        taken = len(pending)
        if not taken:
            return
        for provider, sends in Counter(pending[:taken]).items():
            self._attempts[(provider, _ACCEPTED)] += sends
        self._recipients[_ACCEPTED] += taken
        del pending[:taken]

    def refusal(self, rule: str) -> None:
        with self._lock:
            self.refused[rule] += 1

    def snapshot(self) -> dict[str, Any]:
        """A JSON-friendly copy: ``{"attempts": {"aliyun.accepted": 3}, "recipients": {...}, "refused": {...}}``."""
        with self._lock:
            self._fold()
            return {
                "attempts": {f"{p}.{o}": n for (p, o), n in sorted(self._attempts.items())},
                "recipients": {str(o): n for o, n in sorted(self._recipients.items())},
                "refused": dict(sorted(self.refused.items())),
            }


def log_attempt(message_id: str, attempt: Attempt) -> None:
    error = attempt.error
    level = logging.INFO if error is None else logging.WARNING
    if not logger.isEnabledFor(level):
        return
    fields = {
        "event": "smsgate.attempt",
        "message_id": message_id,
        "provider": attempt.provider,
        "status": attempt.status.value,
        "number": attempt.number,
        "phones": [mask_phone(p) for p in attempt.phones],
        "error_code": error.code if error else None,
        "category": error.category.value if error else None,
        "provider_code": error.provider_code if error else None,
        "elapsed_ms": round(attempt.elapsed * 1000, 1),
    }
    status, provider = attempt.status.value, attempt.provider
    logger.log(level, "attempt %s %s via %s", message_id, status, provider, extra={"smsgate": fields})


def log_refusal(rule: str, phones: Sequence[str]) -> None:
    fields = {"event": "smsgate.refused", "rule": rule, "phones": [mask_phone(p) for p in phones]}
    logger.warning("send refused by %s", rule, extra={"smsgate": fields})
