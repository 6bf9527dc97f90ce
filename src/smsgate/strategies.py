"""Strategies order the providers for one message: ``strategy(names, message) -> names``.

Any callable of that shape works. The gateway tries the returned names in order, failing over
only where another provider could succeed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._models import Message

__all__ = ["Strategy", "in_order"]

Strategy = Callable[[Sequence[str], Message], Sequence[str]]


def in_order(names: Sequence[str], message: Message) -> Sequence[str]:
    """As configured: the first provider, then the next on a failover error (the default)."""
    return names
