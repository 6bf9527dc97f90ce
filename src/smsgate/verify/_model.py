"""Verification values: the status model, the one failure a check gives, and the policy numbers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._errors import Category, SmsError
from .._models import Status

__all__ = ["Budget", "Verification", "VerificationFailed", "VerificationStatus", "VerifyPolicy"]


class VerificationStatus(str, enum.Enum):
    """``pending → approved | canceled | expired | max_attempts_reached`` (Twilio's model)."""

    PENDING = "pending"
    APPROVED = "approved"
    CANCELED = "canceled"
    EXPIRED = "expired"
    MAX_ATTEMPTS_REACHED = "max_attempts_reached"

    def __str__(self) -> str:
        return self.value


class VerificationFailed(SmsError):
    """The one answer to every failed check: wrong code, unknown id, expired, used, locked, over budget.

    It says nothing more, on purpose: a check is not an oracle. ``Verifier.get`` tells the
    server why, by id.
    """

    code = 46020
    default_category = Category.INVALID

    def __init__(self) -> None:
        super().__init__("verification failed: the code is not valid")


@dataclass(frozen=True, slots=True)
class Verification:
    """One verification, as its status lookup shows it. It never holds the code.

    ``send_status`` is what became of the last send (``unknown``: it may have been delivered; resend
    only through :meth:`Verifier.resend`, which sends the same code and counts it).
    """

    id: str
    phone: str
    purpose: str
    status: VerificationStatus
    expires_at: float
    sends: int
    attempts: int
    send_status: Status | None = None
    provider: str | None = None
    message_id: str | None = None
    error: SmsError | None = field(default=None, compare=False)

    @property
    def approved(self) -> bool:
        return self.status is VerificationStatus.APPROVED

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "phone": self.phone,
            "purpose": self.purpose,
            "status": self.status.value,
            "expires_at": datetime.fromtimestamp(self.expires_at, timezone.utc).isoformat(timespec="seconds"),
            "sends": self.sends,
            "attempts": self.attempts,
            "send_status": None if self.send_status is None else self.send_status.value,
            "provider": self.provider,
            "message_id": self.message_id,
            "error": None if self.error is None else self.error.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``limit`` events per fixed window of ``seconds``."""

    limit: int
    seconds: float = 3600.0

    def __post_init__(self) -> None:
        if self.limit < 0 or self.seconds <= 0:
            raise ValueError(f"Budget needs limit >= 0 and seconds > 0, got {self.limit!r}, {self.seconds!r}")

    def window(self, name: str, who: str, now: float) -> tuple[str, int, float]:
        slot = int(now // self.seconds)
        return (f"verify:budget:{name}:{who}:{slot}", self.limit, self.seconds - now % self.seconds + 1.0)


AUTH_PURPOSES = frozenset({"login", "2fa", "mfa", "signin", "password_reset"})
"""Purposes that authenticate: their TTL is capped at 600 s (ASVS V2.7.2)."""


@dataclass(frozen=True)
class VerifyPolicy:
    """Every number a verifier keeps; the defaults are the OWASP/Twilio ones (see docs/verification.md).

    Budgets are counted per fixed window: sends (first and resends) per phone, per client (an IP,
    or any caller key) and in total per day; checks per phone and per client, across verifications.
    """

    digits: int = 6
    allow_short_codes: bool = False
    ttl: float = 600.0
    max_attempts: int = 5
    max_sends: int = 5
    resend_cooldown: float = 30.0
    retention: float = 30 * 86400.0
    auth_purposes: frozenset[str] = AUTH_PURPOSES
    sends_per_phone: Budget | None = Budget(5, 3600.0)
    sends_per_client: Budget | None = Budget(20, 3600.0)
    sends_per_day: Budget | None = None
    checks_per_phone: Budget | None = Budget(30, 3600.0)
    checks_per_client: Budget | None = Budget(100, 3600.0)

    def __post_init__(self) -> None:
        problems = []
        if not 4 <= self.digits <= 10:
            problems.append(f"digits must be 4–10, got {self.digits!r}")
        elif self.digits < 6 and not self.allow_short_codes:
            problems.append(f"digits={self.digits} is below 6: set allow_short_codes=True to opt in")
        if not 1 <= self.max_attempts <= 5:
            problems.append(f"max_attempts must be 1–5, got {self.max_attempts!r}")
        if not 1 <= self.max_sends <= 5:
            problems.append(f"max_sends must be 1–5, got {self.max_sends!r}")
        if self.resend_cooldown < 0 or self.retention < 0:
            problems.append("resend_cooldown and retention must be >= 0")
        try:
            self.ttl_for("login", self.ttl)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("VerifyPolicy: " + "; ".join(problems))

    def ttl_for(self, purpose: str, ttl: float | None) -> float:
        """The TTL for ``purpose``: 60 s or more, at most 600 s for authentication, 24 h otherwise."""
        ttl = self.ttl if ttl is None else ttl
        cap = 600.0 if purpose in self.auth_purposes else 86400.0
        if not 60.0 <= ttl <= cap:
            raise ValueError(f"ttl must be 60–{cap:g} s for purpose {purpose!r}, got {ttl!r}")
        return float(ttl)
