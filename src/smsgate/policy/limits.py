"""Per-phone send limits (fixed windows) and per-provider request rates (token buckets)."""

from __future__ import annotations

from dataclasses import dataclass

from ..stores.base import Window

__all__ = ["PhoneLimits", "ProviderRate"]

_WINDOWS = (("per_minute", 60.0), ("per_hour", 3600.0), ("per_day", 86400.0))


@dataclass(frozen=True)
class PhoneLimits:
    """At most ``per_minute`` / ``per_hour`` / ``per_day`` messages to one phone (``None``: no limit).

    Windows are fixed (the minute starts on the minute, UTC), counted atomically in the store, and
    a message counts once per recipient when it is admitted, whatever becomes of it.
    """

    per_minute: int | None = None
    per_hour: int | None = None
    per_day: int | None = None

    def __post_init__(self) -> None:
        for name, _ in _WINDOWS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"PhoneLimits.{name} must be a whole number >= 0, got {value!r}")
        # the configured limits, read on every send: (rule, seconds, limit)
        limits = tuple(
            (name, seconds, getattr(self, name)) for name, seconds in _WINDOWS if getattr(self, name) is not None
        )
        object.__setattr__(self, "_limits", limits)

    def windows(self, phone: str, now: float) -> list[tuple[str, Window]]:
        """``(rule, window)`` for each configured limit; the key names the phone and the window."""
        limits: tuple[tuple[str, float, int], ...] = self.__dict__["_limits"]
        return [
            (name, (f"limit:{name}:{phone}:{int(now // seconds)}", limit, seconds - (now % seconds) + 1.0))
            for name, seconds, limit in limits
        ]


@dataclass(frozen=True)
class ProviderRate:
    """At most ``rate`` requests per second to a provider, in bursts of up to ``burst``.

    A request waits for a token up to ``max_wait`` seconds; beyond that the provider counts as
    throttled for it, and the send fails over to the next provider.
    """

    rate: float
    burst: int = 1
    max_wait: float = 1.0

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError(f"ProviderRate.rate must be > 0, got {self.rate!r}")
        if self.burst < 1:
            raise ValueError(f"ProviderRate.burst must be >= 1, got {self.burst!r}")
        if self.max_wait < 0:
            raise ValueError(f"ProviderRate.max_wait must be >= 0, got {self.max_wait!r}")

    @property
    def interval(self) -> float:
        return 1.0 / self.rate
