"""``/metrics``: Prometheus text from the service's own registry.

Counters the gateway already keeps (attempts per provider and outcome, recipients per outcome,
policy refusals) and the breakers' state are read when scraped, so a send pays only for its
latency observation; HTTP requests are counted per route by a small ASGI middleware. With several
worker processes, every worker's metrics are reported (see :mod:`._workers`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._gateway import AsyncGateway
from .._models import Message as SmsMessage
from .._models import SendResult
from ._workers import WorkerCounts, multiprocess

__all__ = ["MetricsMiddleware", "ServiceMetrics"]

_BREAKER = {"closed": 0.0, "half-open": 1.0, "open": 2.0}
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _GatewayCollector(Collector):
    def __init__(self, gateway: AsyncGateway) -> None:
        self.gateway = gateway

    def collect(self) -> Iterator[Metric]:
        snapshot = self.gateway.metrics.snapshot()
        attempts = CounterMetricFamily(
            "smsgate_attempts", "Requests to providers by outcome", labels=["provider", "status"]
        )
        for key, count in snapshot["attempts"].items():
            provider, _, status = key.rpartition(".")
            attempts.add_metric([provider, status], count)
        recipients = CounterMetricFamily("smsgate_recipients", "Recipients by outcome", labels=["status"])
        for status, count in snapshot["recipients"].items():
            recipients.add_metric([status], count)
        refused = CounterMetricFamily("smsgate_refused", "Sends refused by smsgate's policies", labels=["rule"])
        for rule, count in snapshot["refused"].items():
            refused.add_metric([rule], count)
        breakers = GaugeMetricFamily(
            "smsgate_breaker_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open", labels=["provider"]
        )
        for alias, breaker in self.gateway.breakers.items():
            breakers.add_metric([alias], _BREAKER[breaker.state])
        yield from (attempts, recipients, refused, breakers)


class ServiceMetrics:
    """The registry behind ``/metrics``: HTTP requests from the start, a gateway's sends once watched."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "smsgate_attempt_seconds",
            "Provider request latency",
            ["provider"],
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.requests = Counter(
            "smsgate_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "smsgate_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=_LATENCY,
            registry=self.registry,
        )
        self.verifications = Counter(
            "smsgate_verifications",
            "Verification starts, checks, resends and cancels by resulting status",
            ["event", "status"],
            registry=self.registry,
        )
        self.receipts = Counter(
            "smsgate_receipts",
            "Pushed delivery reports and inbound messages by provider account",
            ["account", "kind", "status"],
            registry=self.registry,
        )
        self._watched: _GatewayCollector | None = None
        self.workers = WorkerCounts() if multiprocess() else None

    def watch(self, gateway: AsyncGateway) -> None:
        """Report ``gateway``'s counters and breakers, and time its requests (replacing any earlier one)."""
        if self._watched is not None:
            self.registry.unregister(self._watched)
        self._watched = _GatewayCollector(gateway)
        self.registry.register(self._watched)
        gateway.hooks.after_send = [*gateway.hooks.after_send, self.after_send]

    def after_send(self, message: SmsMessage, result: SendResult) -> None:
        for attempt in result.attempts:
            self.latency.labels(attempt.provider).observe(attempt.elapsed)
        if self.workers is not None and self._watched is not None:
            self.workers.publish(self._watched.gateway)

    def exposed(self) -> CollectorRegistry:
        """The registry ``/metrics`` shows: this process's, or every worker's."""
        if self.workers is None:
            return self.registry
        if self._watched is not None:
            self.workers.publish(self._watched.gateway)
        return self.workers.registry()

    def stopped(self) -> None:
        if self.workers is not None:
            self.workers.stopped()


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (a plain ASGI middleware)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            name = getattr(route, "path", None) or "(unmatched)"
            self.metrics.requests.labels(scope["method"], name, str(status)).inc()
            self.metrics.request_seconds.labels(name).observe(time.perf_counter() - started)
