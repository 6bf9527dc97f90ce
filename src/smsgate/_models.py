"""Results: what comes back for every recipient and request (and the message, from ``_message``)."""

from __future__ import annotations

import enum
import os
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ._errors import SmsError
from ._message import Message, Outgoing, Phone
from ._phone import PhoneNumber

__all__ = ["Attempt", "Message", "Outgoing", "RecipientResult", "SendResult", "Sent", "Status", "new_id"]


_ids = random.Random()  # seeded from os.urandom; never by code that seeds the ``random`` module
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)  # a forked worker must not repeat its parent's ids


def new_id() -> str:
    """A 128-bit id as 32 hex digits, ordered by time: 48 bits of Unix milliseconds, then 80 random
    bits (the layout of a UUIDv7, without its version bits). Message and record ids: ids made later
    sort later, so the send log's indexes grow at their right edge instead of dirtying a random page
    an id. Also nonces: unique, not secret (the signature around a nonce needs the key).

    The random bits come from a private generator, since a system call per id costs more than the
    rest of a signature.
    """
    return ((time.time_ns() // 1_000_000) << 80 | _ids.getrandbits(80)).to_bytes(16, "big").hex()


class Status(str, enum.Enum):
    """What became of a recipient."""

    ACCEPTED = "accepted"  # the provider took it
    REJECTED = "rejected"  # the provider refused it
    FAILED = "failed"  # not sent: unreachable provider, smsgate policy, unusable provider
    UNKNOWN = "unknown"  # may have been sent: no verdict came back

    def __str__(self) -> str:
        return self.value

    # hashed as its value, in C (Enum's own hash is a Python call hashing the name): counted by
    # ``Metrics`` on every send, and equal keys hash alike (``Status.ACCEPTED == "accepted"``)
    __hash__ = str.__hash__

    @classmethod
    def of(cls, error: SmsError) -> Status:
        from ._errors import OutcomeUnknown, Rejected

        if isinstance(error, Rejected):
            return cls.REJECTED
        if isinstance(error, OutcomeUnknown):
            return cls.UNKNOWN
        return cls.FAILED


_ACCEPTED = Status.ACCEPTED


@dataclass(slots=True)
class RecipientResult:
    """The outcome for one phone. Read-only by convention."""

    phone: PhoneNumber
    status: Status
    provider: str | None = None
    message_id: str | None = None
    error: SmsError | None = None
    raw: Any = field(default=None, repr=False)  # the provider's own words: maybe what it was sent

    @property
    def ok(self) -> bool:
        return self.status is _ACCEPTED

    @classmethod
    def failed(
        cls, phone: PhoneNumber, error: SmsError, provider: str | None = None, raw: Any = None
    ) -> RecipientResult:
        return cls(phone, Status.of(error), provider or error.provider, error=error, raw=raw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "phone": self.phone.e164,
            "status": self.status.value,
            "provider": self.provider,
            "message_id": self.message_id,
            "error": self.error.to_dict() if self.error else None,
        }


@dataclass(slots=True)
class Attempt:
    """One request sent (or tried) to one provider. Read-only by convention."""

    provider: str
    phones: tuple[str, ...] = field(repr=False)  # reprs end up in tracebacks
    status: Status
    error: SmsError | None = None
    started_at: float = 0.0
    elapsed: float = 0.0
    number: int = 1  # 1 for the first try at this provider, 2 for its first retry…

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "phones": list(self.phones),
            "status": self.status.value,
            "error": self.error.to_dict() if self.error else None,
            "started_at": self.started_at,
            "elapsed": self.elapsed,
            "number": self.number,
        }


@dataclass(slots=True)
class SendResult:
    """One line per recipient, every attempt, and the providers' raw responses. Read-only by convention."""

    recipients: tuple[RecipientResult, ...]
    attempts: tuple[Attempt, ...] = ()
    responses: tuple[Any, ...] = field(default=(), repr=False)
    message_id: str = field(default_factory=new_id)
    replayed: bool = False
    store_error: Exception | None = None  # the store or send log failed mid-send: nothing more was sent

    def __repr__(self) -> str:  # counts, not rows: a bulk result has thousands
        counts = Counter(r.status.value for r in self.recipients)
        parts = [f"{n} {status}" for status, n in sorted(counts.items())]
        failed = f", store_error={type(self.store_error).__name__}" if self.store_error is not None else ""
        return f"SendResult({', '.join(parts) or 'no recipients'}, attempts={len(self.attempts)}{failed})"

    @property
    def ok(self) -> bool:
        """True when every recipient was accepted."""
        return all([r.status is _ACCEPTED for r in self.recipients])

    @property
    def accepted(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if r.ok)

    @property
    def failed(self) -> tuple[RecipientResult, ...]:
        return tuple(r for r in self.recipients if not r.ok)

    @property
    def errors(self) -> tuple[SmsError, ...]:
        return tuple(r.error for r in self.recipients if r.error is not None)

    def __getitem__(self, phone: Phone) -> RecipientResult:
        key = phone.e164 if isinstance(phone, PhoneNumber) else phone
        for r in self.recipients:
            if key in (r.phone.e164, r.phone.national_number):
                return r
        raise KeyError(phone)

    def raise_for_status(self) -> SendResult:
        """Raise the first recipient's error if any recipient was not accepted."""
        for r in self.recipients:
            if r.error is not None:
                raise r.error
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "ok": self.ok,
            "replayed": self.replayed,
            **({"store_error": f"{type(self.store_error).__name__}: {self.store_error}"} if self.store_error else {}),
            "recipients": [r.to_dict() for r in self.recipients],
            "attempts": [a.to_dict() for a in self.attempts],
        }


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of a bulk send (``send_many``) and what became of it: its :class:`SendResult`, or
    the error that refused it before anything was sent (bad input, a policy, a failing store)."""

    message: Message
    result: SendResult | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        """True when every recipient was accepted."""
        return self.result is not None and self.result.ok

    def __repr__(self) -> str:
        return f"Sent({self.result!r})" if self.result is not None else f"Sent(error={type(self.error).__name__})"
