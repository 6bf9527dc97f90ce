"""The providers page: per provider, from the tenant's recent messages — acceptance and delivery
rates, error categories, latency percentiles, breaker state — and sends per minute as an SVG chart."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ._charts import lines
from ._render import guard, page, service_of

__all__ = ["Health", "chart", "delivery", "health", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
RECENT = 200  # messages
MINUTES = 30  # of the chart
STEP = 5  # minutes an interval of the delivery chart


@dataclass
class Health:
    provider: str
    attempts: int = 0
    accepted: int = 0
    delivered: int = 0
    reported: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    breaker: str = "none"

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.attempts if self.attempts else None

    @property
    def delivery(self) -> float | None:
        return self.delivered / self.reported if self.reported else None

    def percentile(self, p: int) -> float | None:
        """The ``p``-th latency percentile in milliseconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else None
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def health(messages: list[dict[str, Any]], breakers: dict[str, str]) -> list[Health]:
    """Health per provider over ``messages`` (views as :func:`~smsgate.server.message_view` makes)."""
    found: dict[str, Health] = {}
    for message in messages:
        for attempt in message["attempts"]:
            h = found.setdefault(attempt["provider"], Health(attempt["provider"]))
            h.attempts += 1
            h.accepted += attempt["status"] == "accepted"
            if attempt["error"]:
                h.errors[attempt["error"].get("category") or "error"] += 1
            if attempt["status"] != "pending":
                h.latencies.append(max(attempt["updated_at"] - attempt["created_at"], 0.0))
        for recipient in message["recipients"]:
            if recipient["delivery"] and recipient["provider"] in found:
                found[recipient["provider"]].reported += 1
                found[recipient["provider"]].delivered += recipient["delivery"] == "delivered"
    for name, state in breakers.items():
        found.setdefault(name, Health(name)).breaker = state
    return sorted(found.values(), key=lambda h: h.provider)


def chart(messages: list[dict[str, Any]], now: float, minutes: int = MINUTES) -> dict[str, Any]:
    """Attempts per minute by provider over the last ``minutes``, as SVG polyline points (300×100)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * minutes)
    for message in messages:
        for attempt in message["attempts"]:
            ago = int((now - attempt["created_at"]) // 60)
            if 0 <= ago < minutes:
                counts[attempt["provider"]][minutes - 1 - ago] += 1
    return {**lines(counts), "minutes": minutes}


def delivery(messages: list[dict[str, Any]], now: float, minutes: int = MINUTES, step: int = STEP) -> dict[str, Any]:
    """Delivered / accepted recipients by provider per ``step`` minutes (by when the message was
    made) over the last ``minutes``, as SVG polyline points; an interval with none accepted is a gap."""
    slots = minutes // step
    tally: dict[str, list[list[int]]] = defaultdict(lambda: [[0, 0] for _ in range(slots)])
    for message in messages:
        ago = int((now - message["created_at"]) // (60 * step))
        if not 0 <= ago < slots:
            continue
        for recipient in message["recipients"]:
            if recipient["provider"] and recipient["status"] == "accepted":
                cell = tally[recipient["provider"]][slots - 1 - ago]
                cell[0] += recipient["delivery"] == "delivered"
                cell[1] += 1
    rates = {name: [d / a if a else None for d, a in cells] for name, cells in tally.items()}
    drawn = lines(rates, top=1.0, marks=True)
    for line in drawn["lines"]:
        delivered, accepted = (sum(c[i] for c in tally[line["name"]]) for i in (0, 1))
        line["delivered"], line["accepted"] = delivered, accepted
    return {**drawn, "minutes": minutes, "step": step}


@router.get("/providers")
async def providers(request: Request) -> Response:
    session = await guard(request)
    service = service_of(request)
    recent = (await service.records.page(session.tenant, limit=RECENT)).items
    breakers = {name: b.state for name, b in service.gateway.breakers.items()}
    now = time.time()
    context = {
        "health": health(recent, breakers),
        "chart": chart(recent, now),
        "delivery": delivery(recent, now),
        "recent": len(recent),
    }
    return page(request, "providers.html", session, context)
