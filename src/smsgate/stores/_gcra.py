"""The generic cell rate algorithm behind :meth:`Store.reserve <smsgate.stores.Store.reserve>`."""

from __future__ import annotations

__all__ = ["gcra"]


def gcra(tat: float | None, now: float, interval: float, burst: int, max_wait: float) -> tuple[float, float] | None:
    """The cell-rate step shared by the stores: ``(wait, new_tat)`` or ``None`` when over ``max_wait``."""
    start = now if tat is None or tat < now else tat
    new_tat = start + interval
    wait = max(0.0, new_tat - burst * interval - now)
    if wait > max_wait:
        return None
    return wait, new_tat
