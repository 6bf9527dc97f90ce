"""Metrics across worker processes: prometheus-client's multiprocess mode.

With ``$PROMETHEUS_MULTIPROC_DIR`` set (``smsgate serve --workers N`` makes one per run and removes
it afterwards), every metric a worker keeps lives in files there and ``/metrics``, whichever worker
answers, reads them all. The gateway's own counters (attempts, recipients, refusals) and breaker
states are kept in each worker's memory, so each worker publishes them there after every send and
scrape; ``/metrics`` reports them summed over the workers under the same names and types as a
single process does (breakers: the worst state any worker sees), and ``smsgate_workers`` counts
the workers serving.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from .._gateway import AsyncGateway

__all__ = ["ENV", "WorkerCounts", "multiprocess"]

ENV = "PROMETHEUS_MULTIPROC_DIR"
_BREAKER = {"closed": 0.0, "half-open": 1.0, "open": 2.0}
_COUNTERS = {  # published gauge → (the counter a single process reports, its help, its labels)
    "smsgate_worker_attempts": ("smsgate_attempts", "Requests to providers by outcome", ("provider", "status")),
    "smsgate_worker_recipients": ("smsgate_recipients", "Recipients by outcome", ("status",)),
    "smsgate_worker_refused": ("smsgate_refused", "Sends refused by smsgate's policies", ("rule",)),
}


def multiprocess() -> bool:
    """Whether this process keeps its metrics in ``$PROMETHEUS_MULTIPROC_DIR``."""
    return bool(os.environ.get(ENV))


class _Merged(Collector):
    """Every worker's files; the published gateway counters shown as the counters they are."""

    def collect(self) -> Iterator[Metric]:
        # a file of size 0 is a worker's being made this instant: nothing in it yet to read
        files = [f for f in glob.glob(os.path.join(os.environ[ENV], "*.db")) if os.path.getsize(f)]
        for family in MultiProcessCollector.merge(files, accumulate=True):  # type: ignore[no-untyped-call]
            counter = _COUNTERS.get(family.name)
            if counter is None:
                yield family
                continue
            name, help_text, labels = counter
            merged = CounterMetricFamily(name, help_text, labels=list(labels))
            for sample in family.samples:
                merged.add_metric([sample.labels[label] for label in labels], sample.value)
            yield merged


class WorkerCounts:
    """This worker's gateway counters, published for whichever worker answers ``/metrics``."""

    def __init__(self) -> None:
        self._own = CollectorRegistry()  # never exposed: the files are
        self.attempts = self._summed("smsgate_worker_attempts", "provider", "status")
        self.recipients = self._summed("smsgate_worker_recipients", "status")
        self.refused = self._summed("smsgate_worker_refused", "rule")
        self.breakers = Gauge(
            "smsgate_breaker_state",
            "Circuit breaker per provider: 0 closed, 1 half-open, 2 open (the worst any worker sees)",
            ["provider"],
            multiprocess_mode="max",
            registry=self._own,
        )
        workers = Gauge("smsgate_workers", "Worker processes serving", multiprocess_mode="livesum", registry=self._own)
        workers.set(1)

    def _summed(self, name: str, *labels: str) -> Gauge:
        return Gauge(name, "published for /metrics", labels, multiprocess_mode="sum", registry=self._own)

    def publish(self, gateway: AsyncGateway) -> None:
        snapshot = gateway.metrics.snapshot()
        for key, count in snapshot["attempts"].items():
            provider, _, status = key.rpartition(".")
            self.attempts.labels(provider, status).set(count)
        for status, count in snapshot["recipients"].items():
            self.recipients.labels(status).set(count)
        for rule, count in snapshot["refused"].items():
            self.refused.labels(rule).set(count)
        for alias, breaker in gateway.breakers.items():
            self.breakers.labels(alias).set(_BREAKER[breaker.state])

    @staticmethod
    def registry() -> CollectorRegistry:
        """What ``/metrics`` shows: every worker's metrics."""
        merged = CollectorRegistry()
        merged.register(_Merged())
        return merged

    @staticmethod
    def stopped() -> None:
        """This worker no longer serves (its counts stay in the sums)."""
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
