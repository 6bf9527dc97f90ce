"""Series drawn as SVG polylines in a 300×100 box, server-side: no script, nothing to load."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["COLORS", "lines"]

COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def lines(
    series: Mapping[str, Sequence[float | None]], top: float | None = None, marks: bool = False
) -> dict[str, Any]:
    """One polyline per named series (sorted by name), scaled to ``top`` (the largest value when
    ``None``); ``None`` values are left out of the line. With ``marks``, each point is also a dot
    (a lone point draws no line)."""
    values = [v for s in series.values() for v in s if v is not None]
    top = top or max(values, default=0) or 1
    drawn = []
    for i, (name, points) in enumerate(sorted(series.items())):
        step = 300 / max(len(points) - 1, 1)
        xy = [(x * step, 100 - v * 95 / top) for x, v in enumerate(points) if v is not None]
        drawn.append(
            {
                "name": name,
                "color": COLORS[i % len(COLORS)],
                "total": sum(v for v in points if v is not None),
                "last": next((v for v in reversed(points) if v is not None), None),
                "points": " ".join(f"{x:.1f},{y:.1f}" for x, y in xy),
                "marks": [(f"{x:.1f}", f"{y:.1f}") for x, y in xy] if marks else [],
            }
        )
    return {"lines": drawn, "top": top}
