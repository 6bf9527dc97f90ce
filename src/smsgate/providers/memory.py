"""``memory``: keeps each SMS in an outbox list, and fails on demand; for tests."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .._errors import Category, OutcomeUnknown, Rejected, SmsError, Throttled, Unreachable
from .._models import Message, RecipientResult
from .._phone import PhoneNumber
from ._outbox import Outbox, OutboxEntry
from .base import LocalProvider

__all__ = ["MemoryProvider"]


@dataclass
class _Failure:
    error: SmsError
    remaining: int | None
    phones: frozenset[str] | None


def _error_for(category: Category) -> SmsError:
    if category is Category.THROTTLED:
        return Throttled("throttled (simulated)", provider_code="Throttled")
    if category is Category.UNREACHABLE:
        return Unreachable("could not connect (simulated)")
    if category is Category.UNKNOWN:
        return OutcomeUnknown("timed out after sending (simulated)")
    return Rejected(f"rejected: {category.value} (simulated)", category=category, provider_code=category.value)


class MemoryProvider(LocalProvider):
    """Delivers into :attr:`outbox`. :meth:`fail_with` makes the next sends fail."""

    name = "memory"
    max_recipients = 1000

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.outbox = Outbox()
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()

    def fail_with(
        self,
        error: SmsError | Category | str,
        *,
        times: int | None = 1,
        phones: Iterable[str] | None = None,
    ) -> None:
        """Fail the next ``times`` deliveries (forever with ``None``), only to ``phones`` if given.

        ``error`` is an error to raise, or a category (``"throttled"``, ``"auth"``…) to simulate.
        """
        if not isinstance(error, SmsError):
            error = _error_for(Category(error))
        only = frozenset(PhoneNumber.parse(p).e164 for p in phones) if phones is not None else None
        with self._lock:
            self._failures.append(_Failure(error, times, only))

    def clear(self) -> None:
        with self._lock:
            self.outbox.clear()
            self._failures.clear()

    def deliver(self, message: Message, recipients: Sequence[PhoneNumber]) -> list[RecipientResult]:
        rows = []
        with self._lock:
            for phone in recipients:
                error = self._take_failure(phone)
                if error is not None:
                    rows.append(RecipientResult.failed(phone, error, self.alias))
                    continue
                entry = OutboxEntry.of(message, phone, self.alias, self.name)
                self.outbox.append(entry)
                rows.append(self.accepted(phone, entry.message_id))
        return rows

    def _take_failure(self, phone: PhoneNumber) -> SmsError | None:
        for failure in self._failures:
            if failure.phones is not None and phone.e164 not in failure.phones:
                continue
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
            error = copy.copy(failure.error)
            error.provider = self.alias
            return error
        return None
