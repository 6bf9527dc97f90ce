"""Strategies order the providers for one message: ``strategy(names, message) -> names``.

Any callable of that shape works. The gateway tries the returned names in order, failing over
only where another provider could succeed. Stateful strategies (round robin, weighted) are
thread-safe; ``random`` and ``weighted`` take an injectable source for tests.

:func:`by_country` is different: it routes each recipient by its country, so one message to
mixed destinations is split, and each group gets its own provider order.
"""

from __future__ import annotations

import itertools
import random as _random
import threading
from collections.abc import Callable, Mapping, Sequence

from ._models import Message, Outgoing
from ._phone import PhoneNumber

__all__ = ["Strategy", "by_country", "in_order", "random_order", "round_robin", "weighted"]

Strategy = Callable[[Sequence[str], Outgoing], Sequence[str]]  # a function taking any Message fits


def in_order(names: Sequence[str], message: Message) -> Sequence[str]:
    """As configured: the first provider, then the next on a failover error (the default)."""
    return names


def random_order(rng: _random.Random | None = None) -> Strategy:
    """A fresh random order for every message (the rest of the list is the failover order)."""
    source = rng or _random.Random()
    lock = threading.Lock()

    def strategy(names: Sequence[str], message: Message) -> Sequence[str]:
        out = list(names)
        with lock:
            source.shuffle(out)
        return out

    return strategy


def round_robin() -> Strategy:
    """Each message starts at the next provider; the others follow in configured order."""
    counter = itertools.count()
    lock = threading.Lock()

    def strategy(names: Sequence[str], message: Message) -> Sequence[str]:
        with lock:
            start = next(counter) % len(names) if names else 0
        return [*names[start:], *names[:start]]

    return strategy


class _Weighted:
    """Smooth weighted round robin (as in nginx): over any ``sum(weights)`` messages each provider
    comes first exactly ``weight`` times, evenly spread. The rest follow by weight, heaviest first."""

    def __init__(self, weights: Mapping[str, int]) -> None:
        bad = [n for n, w in weights.items() if not isinstance(w, int) or w < 0]
        if bad or not weights:
            raise ValueError(f"weighted: weights must be whole numbers >= 0 (bad: {', '.join(bad) or 'none given'})")
        self.weights = dict(weights)
        self._current = dict.fromkeys(weights, 0)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"weighted({self.weights})"

    def __call__(self, names: Sequence[str], message: Message) -> Sequence[str]:
        live = [n for n in names if self.weights.get(n, 0) > 0]
        if not live:
            return names
        with self._lock:
            total = 0
            for name in live:
                self._current[name] += self.weights[name]
                total += self.weights[name]
            first = max(live, key=lambda n: self._current[n])
            self._current[first] -= total
        rest = sorted((n for n in live if n != first), key=lambda n: -self.weights[n])
        return [first, *rest]


def weighted(weights: Mapping[str, int]) -> Strategy:
    """Smooth weighted round robin over ``weights`` (provider alias → weight; 0 disables)."""
    return _Weighted(weights)


class _ByCountry:
    def __init__(self, routes: Mapping[str | int, Sequence[str]], default: Sequence[str]) -> None:
        self.by_code: dict[int, tuple[str, ...]] = {}
        self.by_region: dict[str, tuple[str, ...]] = {}
        for key, order in routes.items():
            text = str(key).strip().upper().lstrip("+")
            if text.isdigit():
                self.by_code[int(text)] = tuple(order)
            elif len(text) == 2 and text.isalpha():
                self.by_region[text] = tuple(order)
            else:
                raise ValueError(f"by_country: {key!r} is neither a region code nor a calling code")
        self.default = tuple(default)

    def __repr__(self) -> str:
        return f"by_country(codes={self.by_code}, regions={self.by_region}, default={self.default})"

    def route(self, phone: PhoneNumber) -> tuple[str, ...]:
        """The provider order for one recipient."""
        return self.by_region.get(phone.region) or self.by_code.get(phone.country_code) or self.default

    def __call__(self, names: Sequence[str], message: Outgoing) -> Sequence[str]:
        phones = message.phones
        order = self.route(phones[0]) if phones else self.default
        return [n for n in order if n in names]


def by_country(routes: Mapping[str | int, Sequence[str]], *, default: Sequence[str] = ()) -> Strategy:
    """Route by destination: ``by_country({"+86": ["aliyun", "tencent"]}, default=["twilio"])``.

    Keys are calling codes (``"+86"``, ``86``) or ISO regions (``"CN"``); regions win. A
    recipient with no route and no ``default`` fails with an :class:`InvalidRequest`, unsent.
    """
    return _ByCountry(routes, default)
