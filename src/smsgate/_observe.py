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


@dataclass
class Hooks:
    """Callables run around each send, in the order given."""

    before_send: Sequence[Callable[[Message], Any]] = field(default_factory=list)
    after_send: Sequence[Callable[[Message, SendResult], Any]] = field(default_factory=list)
    on_error: Sequence[Callable[[Attempt], Any]] = field(default_factory=list)


class Metrics:
    """Counters per ``(provider, outcome)`` for attempts and per ``outcome`` for recipients."""

    def __init__(self) -> None:
        self.attempts: Counter[tuple[str, str]] = Counter()
        self.recipients: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def attempt(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts[(attempt.provider, attempt.status)] += 1  # Status is a str: "accepted"…

    def result(self, result: SendResult) -> None:
        """Count a finished send: its recipients and, unless it was replayed, its attempts."""
        with self._lock:
            for row in result.recipients:
                self.recipients[row.status] += 1
            if not result.replayed:
                for attempt in result.attempts:
                    self.attempts[(attempt.provider, attempt.status)] += 1

    def accepted(self, provider: str, recipients: int) -> None:
        """Count a send whose one request to ``provider`` accepted all its ``recipients``: what
        :meth:`result` counts for it, without walking the result."""
        with self._lock:
            self.recipients[_ACCEPTED] += recipients
            self.attempts[(provider, _ACCEPTED)] += 1

    def refusal(self, rule: str) -> None:
        with self._lock:
            self.refused[rule] += 1

    def snapshot(self) -> dict[str, Any]:
        """A JSON-friendly copy: ``{"attempts": {"aliyun.accepted": 3}, "recipients": {...}, "refused": {...}}``."""
        with self._lock:
            return {
                "attempts": {f"{p}.{o}": n for (p, o), n in sorted(self.attempts.items())},
                "recipients": {str(o): n for o, n in sorted(self.recipients.items())},
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
