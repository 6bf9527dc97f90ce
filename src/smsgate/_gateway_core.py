"""What ``Gateway`` and ``AsyncGateway`` share: the providers, the send flow and its policies, and
reading a provider's answer into a :class:`Done`. Each gateway drives the flow in one loop of its
own (``_gateway``, ``_async_gateway``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import ConfigError, OutcomeUnknown, SmsError
from ._flow import Policies, SendFlow
from ._http import HttpRequest, HttpResponse
from ._models import RecipientResult
from ._observe import Hooks, Metrics, logger
from ._redact import needles, redact, scrubbed
from ._registry import ProviderSpec, build_providers
from ._retry import RetryPolicy
from ._steps import Done, Job, StoreOp
from .policy.breaker import CircuitBreaker
from .policy.idempotency import Idempotency
from .policy.limits import PhoneLimits, ProviderRate
from .policy.lists import Blocklist, CountryAllowlist
from .providers.base import LocalProvider, Provider
from .stores.base import Store
from .stores.memory import MemoryStore
from .strategies import Strategy

if TYPE_CHECKING:
    pass

__all__ = [
    "OPTIONS",
    "After",
    "Before",
    "GatewayCore",
    "Providers",
    "failed_quietly",
    "open_sqlite",
    "run_quietly",
]

Providers = Mapping[str, ProviderSpec] | Sequence[Provider]
After = Callable[[Job, Done], StoreOp[Any] | None] | None
Before = Callable[[Job], Done | None] | None

OPTIONS = """
    ``providers``: provider aliases to settings (or ``Provider`` objects), in order of preference.
    ``default_region``: the region of phone numbers written without a country code (``CN``).
    ``strategy``: the order to try providers in (``smsgate.strategies``).
    ``retry``: how often and how long to retry a request at one provider.
    ``concurrency``: requests of one message in flight at once.
    ``clock``: seconds since the epoch (injected in tests).
    ``store``: state for limits, lists, idempotency and rates (in memory by default).
    ``send_log``: a store, or the path of an SQLite file, recording every message and request
    before it leaves.
    ``limits``: per-phone send limits. ``rates``: provider alias → request rate.
    ``blocklist``: check the store's blocklist. ``allowlist``: the only countries to send to.
    ``breakers``: provider alias → circuit breaker, or ``True`` for defaults on every provider.
    ``idempotency``: how long results of idempotency keys are kept.
    ``hooks``, ``metrics``: callbacks and counters around each send.
"""


class GatewayCore:
    """What both gateways share: the providers, the send flow and its policies, reading responses."""

    def __init__(
        self,
        providers: Providers,
        *,
        default_region: str,
        strategy: Strategy,
        retry: RetryPolicy | None,
        concurrency: int,
        clock: Callable[[], float],
        store: Store | None,
        send_log: Store | str | None,
        limits: PhoneLimits | None,
        rates: Mapping[str, ProviderRate] | None,
        blocklist: bool,
        allowlist: CountryAllowlist | Sequence[str | int] | None,
        breakers: Mapping[str, CircuitBreaker] | bool,
        idempotency: Idempotency | None,
        hooks: Hooks | None,
        metrics: Metrics | None,
    ) -> None:
        self.providers = build_providers(providers)
        self.default_region = default_region
        self.concurrency = max(1, concurrency)
        self.clock = clock
        unknown = sorted(set(rates or {}) - set(self.providers))
        if unknown:
            raise ValueError(f"rates: unknown provider(s) {', '.join(unknown)}")
        self._owned: list[Store] = []  # stores this gateway opened, closed with it
        if isinstance(send_log, str):
            send_log = open_sqlite(send_log, "send_log")
            self._owned.append(send_log)
        if allowlist is not None and not isinstance(allowlist, CountryAllowlist):
            allowlist = CountryAllowlist(allowlist)
        if breakers is True:
            breakers = {alias: CircuitBreaker() for alias in self.providers}
        self.policies = Policies(
            store=store if store is not None else MemoryStore(clock=clock),
            send_log=send_log,
            limits=limits,
            rates=dict(rates or {}),
            blocklist=blocklist,
            allowlist=allowlist,
            breakers=dict(breakers or {}),
            idempotency=idempotency or Idempotency(),
            hooks=hooks or Hooks(),
            metrics=metrics or Metrics(),
        )
        self.flow = SendFlow(
            self.providers,
            self.policies,
            strategy=strategy,
            retry=retry or RetryPolicy(),
            clock=clock,
            default_region=default_region,
        )

    @property
    def store(self) -> Store:
        """The store holding limits, lists, idempotency keys and rates."""
        return self.policies.store

    @property
    def send_log(self) -> Store | None:
        return self.policies.send_log

    @property
    def metrics(self) -> Metrics:
        return self.policies.metrics

    @property
    def retry(self) -> RetryPolicy:
        return self.flow.retry

    @property
    def strategy(self) -> Strategy:
        return self.flow.strategy

    @property
    def hooks(self) -> Hooks:
        return self.policies.hooks

    @property
    def breakers(self) -> dict[str, CircuitBreaker]:
        return self.policies.breakers

    @property
    def allowlist(self) -> CountryAllowlist | None:
        return self.policies.allowlist

    @allowlist.setter
    def allowlist(self, value: CountryAllowlist | None) -> None:
        self.policies.allowlist = value

    @property
    def limits(self) -> PhoneLimits | None:
        return self.policies.limits

    @property
    def blocklist_enabled(self) -> bool:
        return self.policies.blocklist

    @property
    def blocklist(self) -> Blocklist | None:
        """The blocklist in :attr:`store`, when enabled: ``gateway.blocklist.add("138…")``."""
        return Blocklist(self.store, region=self.default_region) if self.policies.blocklist else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} providers={list(self.providers)}>"

    def _read(self, job: Job, request: HttpRequest, response: HttpResponse, started: float) -> Done:
        raw = response.json()
        if raw is None and response.body:
            raw = response.text
        try:
            outcome: list[RecipientResult] | SmsError = _in_order(job, job.provider.parse(request, response))
        except SmsError as exc:
            outcome = _owned(exc, job)
        except Exception as exc:  # a response we cannot read may still have been a delivery
            error = OutcomeUnknown(f"could not read the response (HTTP {response.status}): {type(exc).__name__}")
            error.__cause__ = exc
            outcome = _owned(error, job)
        if not isinstance(outcome, list):  # a refusal may echo what was sent: secrets, params
            raw = redact(raw, _hidden(job))
        return Done(outcome, started, self.clock() - started, raw)

    def _local(self, job: Job, started: float) -> Done:
        assert isinstance(job.provider, LocalProvider)
        try:
            rows = _in_order(job, job.provider.deliver(job.message, job.recipients))
            return Done(rows, started, self.clock() - started)
        except SmsError as exc:
            return Done(_owned(exc, job), started, self.clock() - started)

    def _failed(self, job: Job, error: SmsError, started: float) -> Done:
        return Done(_owned(error, job), started, self.clock() - started)


def run_quietly(op: StoreOp[Any]) -> Any:
    """Run a store operation; a quiet one's failure is logged and answered (see :class:`StoreOp`)."""
    if not op.quiet:
        return op.call()
    try:
        return op.call()
    except Exception as exc:
        return failed_quietly(op, exc)


def failed_quietly(op: StoreOp[Any], exc: Exception) -> Exception:
    logger.warning("could not record the outcome of a send in the store", exc_info=exc)
    if op.on_failure is not None:
        op.on_failure(exc)
    return exc


def open_sqlite(path: str, setting: str) -> Store:
    """The SQLite store at ``path``; :class:`ConfigError` naming ``setting`` and the path when it cannot be used."""
    import sqlite3

    from .stores.sqlite import SQLiteStore

    try:
        return SQLiteStore(path)
    except (sqlite3.Error, OSError, ValueError) as exc:  # ValueError: a NUL or lone surrogate in the path
        raise ConfigError(f"{setting}: {path!r} cannot be used as an SQLite file ({exc})") from None


def _owned(error: SmsError, job: Job) -> SmsError:
    """``error`` as this job's, with no secret, param or library traceback left in it."""
    if error.provider is None:
        error.provider = job.provider.alias
    return scrubbed(error, _hidden(job))


def _hidden(job: Job) -> tuple[str, ...]:
    message = job.message
    return needles(job.provider.settings, (message.params, *message.recipient_params.values()), job.recipients)


def _in_order(job: Job, rows: list[RecipientResult]) -> list[RecipientResult]:
    """``rows`` in the order of the request's recipients; raises when they are not one per recipient."""
    phones = job.recipients
    if len(rows) == 1 == len(phones) and rows[0].phone is phones[0]:  # the usual answer: one phone
        return rows
    if [r.phone for r in rows] == list(phones):  # the request's own phones, in order
        return rows
    by_phone = {r.phone.e164: r for r in rows}
    if len(by_phone) != len(rows) or sorted(by_phone) != sorted([p.e164 for p in phones]):
        raise OutcomeUnknown("the response does not account for every recipient of the request")
    return [by_phone[p.e164] for p in phones]
