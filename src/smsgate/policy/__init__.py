"""Policies around a send: limits, lists, idempotency and circuit breakers."""

from __future__ import annotations

from .breaker import CircuitBreaker
from .idempotency import Idempotency
from .limits import PhoneLimits, ProviderRate
from .lists import Blocklist, CountryAllowlist

__all__ = ["Blocklist", "CircuitBreaker", "CountryAllowlist", "Idempotency", "PhoneLimits", "ProviderRate"]
