"""The error tree. Every error carries a stable numeric ``code``.

    SmsError                      base of everything smsgate raises
    ├── InvalidRequest   46001    bad input: missing parameter, no recipients, bad phone
    │   └── InvalidPhone          names the offending number
    ├── Rejected         46002    the provider answered and refused (carries its code and message)
    │   └── Throttled             refused for rate; may carry ``retry_after``
    ├── RequestFailed    46003    no answer from the provider
    │   ├── Unreachable           the request never left: safe to retry or fail over
    │   └── OutcomeUnknown        the request may have been delivered: never resent by default
    ├── PolicyRefused    46004    smsgate's own policy refused the send (limits, lists); nothing sent
    ├── ConfigError      46010    configuration is invalid (names the file and field)
    ├── NotAuthentic     46020    a pushed receipt failed its provider's authenticity check
    └── StoreError       46030    a store operation failed (server down, file locked, I/O error)

``category`` says who could succeed where this failed; ``retryable`` says whether sending the very
same request again is documented as safe and could help. Messages never contain secrets.
"""

from __future__ import annotations

import enum
from typing import Any

__all__ = [
    "Category",
    "ConfigError",
    "InvalidPhone",
    "InvalidRequest",
    "NotAuthentic",
    "OutcomeUnknown",
    "PolicyRefused",
    "Rejected",
    "RequestFailed",
    "SmsError",
    "StoreError",
    "Throttled",
    "Unreachable",
]


class Category(str, enum.Enum):
    """Why a send failed, in terms that decide what to do next."""

    RECIPIENT = "recipient"  # this phone cannot get it (invalid, opted out, barred)
    TEMPLATE = "template"  # template or sign name not approved, params do not fit
    AUTH = "auth"  # credentials, permissions, account state
    QUOTA = "quota"  # balance or quota exhausted
    THROTTLED = "throttled"  # rate limited by the provider
    INVALID = "invalid"  # the request itself is malformed
    UNREACHABLE = "unreachable"  # the provider was never reached
    UNKNOWN = "unknown"  # the outcome is unknown: the message may have been sent
    POLICY = "policy"  # smsgate's own limits or lists refused it

    def __str__(self) -> str:
        return self.value

    @property
    def failover(self) -> bool:
        """Whether another provider could accept what this one refused."""
        return self in _FAILOVER


_FAILOVER = frozenset({Category.AUTH, Category.QUOTA, Category.THROTTLED, Category.UNREACHABLE})


class SmsError(Exception):
    """Base of every smsgate error."""

    code: int = 46000
    default_category: Category = Category.INVALID
    default_retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        provider_code: str | None = None,
        provider_message: str | None = None,
        category: Category | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.provider_code = provider_code
        self.provider_message = provider_message
        self.category = category or self.default_category
        self.retryable = self.default_retryable if retryable is None else retryable
        self.retry_after = retry_after
        self.raw = raw

    def __str__(self) -> str:
        where = f"[{self.provider}] " if self.provider else ""
        theirs = f" ({self.provider_code})" if self.provider_code else ""
        return f"{where}{self.message}{theirs}"

    def __repr__(self) -> str:
        parts = [f"code={self.code}", f"message={self.message!r}", f"category={self.category.value!r}"]
        if self.provider:
            parts.append(f"provider={self.provider!r}")
        if self.provider_code:
            parts.append(f"provider_code={self.provider_code!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.__dict__))

    @property
    def failover(self) -> bool:
        """Whether another provider could accept what failed here."""
        return self.category.failover

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (no raw response, no secrets)."""
        return {
            "error": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "category": self.category.value,
            "retryable": self.retryable,
            "provider": self.provider,
            "provider_code": self.provider_code,
            "provider_message": self.provider_message,
            "retry_after": self.retry_after,
        }


def _rebuild(cls: type[SmsError], message: str, state: dict[str, Any]) -> SmsError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InvalidRequest(SmsError):
    """The message or call is malformed; nothing was sent. ``field`` names the culprit."""

    code = 46001
    default_category = Category.INVALID

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class InvalidPhone(InvalidRequest):
    """A phone number could not be parsed, is invalid, or cannot receive SMS."""

    default_category = Category.RECIPIENT

    def __init__(self, phone: str, reason: str, **kwargs: Any) -> None:
        kwargs.setdefault("field", "to")
        super().__init__(f"phone number {phone!r}: {reason}", **kwargs)
        self.phone = phone


class Rejected(SmsError):
    """The provider received the request and refused it."""

    code = 46002


class Throttled(Rejected):
    """The provider refused for rate. ``retry_after`` is in seconds when known."""

    default_category = Category.THROTTLED
    default_retryable = True


class RequestFailed(SmsError):
    """The provider gave no usable answer."""

    code = 46003
    default_category = Category.UNKNOWN


class Unreachable(RequestFailed):
    """The request never reached the provider (connect error): nothing was sent."""

    default_category = Category.UNREACHABLE
    default_retryable = True


class OutcomeUnknown(RequestFailed):
    """The request left but no verdict came back (timeout, reset, 5xx): it may have been sent."""

    default_category = Category.UNKNOWN


class PolicyRefused(SmsError):
    """smsgate's own policy (a limit, the blocklist, the country allowlist) refused the send."""

    code = 46004
    default_category = Category.POLICY

    def __init__(self, message: str, *, rule: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.rule = rule


class ConfigError(SmsError):
    """Configuration is invalid. ``problems`` lists every problem found, each naming its place."""

    code = 46010

    def __init__(self, problems: list[str] | str, **kwargs: Any) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems), **kwargs)


class NotAuthentic(SmsError):
    """A pushed receipt or inbound message failed its provider's authenticity check (bad or missing
    signature or path token, stale timestamp, replay); nothing in it was used. ``reason`` says which."""

    code = 46020
    default_category = Category.AUTH

    def __init__(self, message: str, *, reason: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


class StoreError(SmsError):
    """A store operation failed: its server is down or unreachable, its file locked past the timeout,
    an I/O error. ``store`` names the store class and ``operation`` the call; the original error is
    the ``__cause__``. Whether the operation took effect is unknown."""

    code = 46030
    default_category = Category.UNKNOWN

    def __init__(self, message: str, *, store: str, operation: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.store = store
        self.operation = operation
