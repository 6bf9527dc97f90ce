"""``Gateway`` and ``AsyncGateway``: the engine and its policy layer driven with threads or with asyncio.

Both run the same generators (``_flow.send_flow`` around ``_engine.plan``); they differ only in
how they wait: on a transport, a sleep, or a store call.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._engine import Call, Done, Job, Request, Step
from ._errors import ConfigError, OutcomeUnknown, SmsError
from ._flow import bare_jobs, job_flow, observe, send_flow
from ._http import HttpRequest, HttpResponse
from ._models import Message, RecipientResult, SendResult
from ._observe import Hooks, Metrics
from ._phone import DEFAULT_REGION
from ._redact import needles, redact, scrubbed
from ._registry import ProviderSpec, build_providers
from ._retry import RetryPolicy
from .policy.breaker import CircuitBreaker
from .policy.idempotency import Idempotency
from .policy.limits import PhoneLimits, ProviderRate
from .policy.lists import Blocklist, CountryAllowlist
from .providers.base import LocalProvider, Provider
from .stores.base import Store
from .stores.memory import MemoryStore
from .strategies import Strategy, in_order
from .transports.base import AsyncTransport, Transport
from .transports.defaults import default_async_transport, default_transport

if TYPE_CHECKING:
    from .receipts import Poll

__all__ = ["AsyncGateway", "Gateway"]


class _GatewayCore:
    """What both gateways share: configuration, policies, preparation and reading responses.

    Reliability options (all optional): ``store`` (state for limits, lists and idempotency;
    in-memory by default), ``send_log`` (a store, or a path for an SQLite file, recording every
    message and request), ``limits`` (:class:`PhoneLimits`), ``rates`` (provider alias →
    :class:`ProviderRate`), ``blocklist`` (check the store's blocklist), ``allowlist`` (countries),
    ``breakers`` (provider alias → :class:`CircuitBreaker`, or ``True`` for defaults on every
    provider), ``idempotency`` (retention), ``hooks`` and ``metrics``.
    """

    def __init__(
        self,
        providers: Mapping[str, ProviderSpec] | Sequence[Provider],
        *,
        default_region: str = DEFAULT_REGION,
        strategy: Strategy = in_order,
        retry: RetryPolicy | None = None,
        concurrency: int = 16,
        clock: Callable[[], float] = time.time,
        store: Store | None = None,
        send_log: Store | str | None = None,
        limits: PhoneLimits | None = None,
        rates: Mapping[str, ProviderRate] | None = None,
        blocklist: bool = False,
        allowlist: CountryAllowlist | Sequence[str | int] | None = None,
        breakers: Mapping[str, CircuitBreaker] | bool = False,
        idempotency: Idempotency | None = None,
        hooks: Hooks | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.providers = build_providers(providers)
        self.default_region = default_region
        self.strategy = strategy
        self.retry = retry or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self.clock = clock
        self.store: Store = store if store is not None else MemoryStore(clock=clock)
        self._owns_log = isinstance(send_log, str)
        self._opening: dict[str, Any] = {}  # message id → its pending record, for the first request to write
        if isinstance(send_log, str):
            send_log = open_sqlite(send_log, "send_log")
        self.send_log: Store | None = send_log
        self.limits = limits
        self.rates: dict[str, ProviderRate] = dict(rates or {})
        unknown = sorted(set(self.rates) - set(self.providers))
        if unknown:
            raise ValueError(f"rates: unknown provider(s) {', '.join(unknown)}")
        self.blocklist_enabled = blocklist
        if allowlist is not None and not isinstance(allowlist, CountryAllowlist):
            allowlist = CountryAllowlist(allowlist)
        self.allowlist = allowlist
        if breakers is True:
            breakers = {alias: CircuitBreaker() for alias in self.providers}
        self.breakers: dict[str, CircuitBreaker] = dict(breakers or {})
        self.idempotency = idempotency or Idempotency()
        self.hooks = hooks or Hooks()
        self.metrics = metrics or Metrics()
        self.observe = partial(observe, self)  # called by the engine for each finished request

    @property
    def blocklist(self) -> Blocklist | None:
        """The blocklist in :attr:`store`, when enabled: ``gateway.blocklist.add("138…")``."""
        return Blocklist(self.store, region=self.default_region) if self.blocklist_enabled else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} providers={list(self.providers)}>"

    def _read(self, job: Job, request: HttpRequest, response: HttpResponse, started: float) -> Done:
        raw = response.json()
        if raw is None and response.body:
            raw = response.text
        try:
            rows = job.provider.parse(request, response)
            _check_rows(job, rows)
            outcome: list[RecipientResult] | SmsError = rows
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
            rows = job.provider.deliver(job.message, job.recipients)
            _check_rows(job, rows)
            return Done(rows, started, self.clock() - started)
        except SmsError as exc:
            return Done(_owned(exc, job), started, self.clock() - started)

    def _failed(self, job: Job, error: SmsError, started: float) -> Done:
        return Done(_owned(error, job), started, self.clock() - started)


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


def _check_rows(job: Job, rows: list[RecipientResult]) -> None:
    if [r.phone for r in rows] == list(job.recipients):  # the usual answer: the request's own phones, in order
        return
    got, wanted = [r.phone.e164 for r in rows], [p.e164 for p in job.recipients]
    if sorted(got) != sorted(wanted):
        raise OutcomeUnknown("the response does not account for every recipient of the request")


class Gateway(_GatewayCore):
    """Sends messages, blocking. Requests of one message run on up to ``concurrency`` threads.

    ``Gateway({"aliyun": {"access_key_id": …, "access_key_secret": …}})``; use it as a context
    manager, or call :meth:`close`, to release pooled connections. Without ``transport``, it
    opens the default one (pyreqwest when installed, else urllib3: see ``smsgate.transports.defaults``).
    """

    def __init__(
        self,
        providers: Mapping[str, ProviderSpec] | Sequence[Provider],
        *,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Any,
    ) -> None:
        super().__init__(providers, **options)
        if transport is None:
            transport = default_transport(self.concurrency)
        self.transport = transport
        self.sleep = sleep
        self._pool: ThreadPoolExecutor | None = None

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **options: Any) -> Gateway:
        """The gateway :func:`smsgate.load_config` describes (``path``, else ``$SMSGATE_CONFIG`` or
        ``./smsgate.toml``, then the environment); ``options`` override the configuration's."""
        from ._config import load_config

        return load_config(path).gateway(**options)

    def send(self, message: Message, *, providers: Sequence[str] | None = None) -> SendResult:
        """Send ``message``; one result line per recipient.

        Raises only for invalid input (:class:`InvalidRequest`) or a policy refusal
        (:class:`PolicyRefused`); nothing is sent then.
        """
        return self._drive(send_flow(self, message, providers))  # type: ignore[no-any-return]

    def poll_reports(self, providers: Sequence[str] | None = None, **options: Any) -> Poll:
        """Pull delivery receipts from providers with a query API (see :mod:`smsgate.receipts`)."""
        from .receipts import poll_reports

        return poll_reports(self, providers, **options)

    def _drive(self, steps: Generator[Step, Any, Any]) -> Any:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value
            try:
                reply, error = self._do(step), None
            except Exception as exc:
                reply, error = None, exc

    def _do(self, step: Step) -> Any:
        if isinstance(step, list):  # jobs: the usual step
            if len(step) == 1:
                return [self._job(step[0])]
            return list(self._executor().map(self._job, step))
        if isinstance(step, Call):
            return getattr(step.target, step.name)(*step.args)
        if isinstance(step, Request):
            return self._run(step.job)
        self.sleep(step)
        return None

    def _job(self, job: Job) -> Done:
        if bare_jobs(self):
            return self._run(job)
        return self._drive(job_flow(self, job))  # type: ignore[no-any-return]

    def _run(self, job: Job) -> Done:
        started = self.clock()
        if isinstance(job.provider, LocalProvider):
            return self._local(job, started)
        try:
            request = job.provider.build_request(job.message, job.recipients)
            response = self.transport.handle_request(request)
        except SmsError as exc:
            return self._failed(job, exc, started)
        return self._read(job, request, response, started)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="smsgate")
        return self._pool

    def close(self) -> None:
        """Release pooled connections (and the send log, when the gateway opened it from a path)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.transport.close()
        if self._owns_log and self.send_log is not None:
            self.send_log.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncGateway(_GatewayCore):
    """The asyncio twin of :class:`Gateway`: the same results for the same message.

    Without ``transport``, it opens the default one (pyreqwest when installed, else aiohttp).
    """

    def __init__(
        self,
        providers: Mapping[str, ProviderSpec] | Sequence[Provider],
        *,
        transport: AsyncTransport | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        **options: Any,
    ) -> None:
        super().__init__(providers, **options)
        if transport is None:
            transport = default_async_transport(self.concurrency)
        self.transport = transport
        self.sleep = sleep
        self._limit = asyncio.Semaphore(self.concurrency)

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **options: Any) -> AsyncGateway:
        """The asyncio twin of :meth:`Gateway.from_config`."""
        from ._config import load_config

        return load_config(path).async_gateway(**options)

    async def send(self, message: Message, *, providers: Sequence[str] | None = None) -> SendResult:
        """Send ``message``; one result line per recipient. Raises as :meth:`Gateway.send` does."""
        return await self._drive(send_flow(self, message, providers))  # type: ignore[no-any-return]

    async def poll_reports(self, providers: Sequence[str] | None = None, **options: Any) -> Poll:
        """Pull delivery receipts from providers with a query API (see :mod:`smsgate.receipts`)."""
        from .receipts import apoll_reports

        return await apoll_reports(self, providers, **options)

    async def _drive(self, steps: Generator[Step, Any, Any]) -> Any:
        reply: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as stop:
                return stop.value
            try:
                reply, error = await self._do(step), None
            except Exception as exc:
                reply, error = None, exc

    async def _do(self, step: Step) -> Any:
        if isinstance(step, list):  # jobs: the usual step
            if len(step) == 1:
                return [await self._job(step[0])]
            return list(await asyncio.gather(*(self._bounded(job) for job in step)))
        if isinstance(step, Call):
            return await getattr(step.target, "a" + step.name)(*step.args)
        if isinstance(step, Request):
            return await self._run(step.job)
        await self.sleep(step)
        return None

    async def _job(self, job: Job) -> Done:
        if bare_jobs(self):
            return await self._run(job)
        return await self._drive(job_flow(self, job))  # type: ignore[no-any-return]

    async def _bounded(self, job: Job) -> Done:
        async with self._limit:
            return await self._job(job)

    async def _run(self, job: Job) -> Done:
        started = self.clock()
        if isinstance(job.provider, LocalProvider):
            return self._local(job, started)
        try:
            request = job.provider.build_request(job.message, job.recipients)
            response = await self.transport.handle_async_request(request)
        except SmsError as exc:
            return self._failed(job, exc, started)
        return self._read(job, request, response, started)

    async def aclose(self) -> None:
        """Release pooled connections (and the send log, when the gateway opened it from a path)."""
        await self.transport.aclose()
        if self._owns_log and self.send_log is not None:
            await self.send_log.aclose()

    async def __aenter__(self) -> AsyncGateway:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
