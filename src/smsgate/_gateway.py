"""``Gateway`` and ``AsyncGateway``: the send flow driven with threads or with asyncio.

Both drive the same generator (``_flow.SendFlow.send``) in one loop each, carrying out its steps
(``_steps``): :class:`RunJobs` (requests, concurrently), :class:`Sleep` and :class:`StoreOp`.
They differ only in how they wait.
"""

from __future__ import annotations

import os
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _batching
from ._bulk import LINGER, astream, stream
from ._errors import ConfigError, OutcomeUnknown, SmsError
from ._flow import Policies, SendFlow
from ._http import HttpRequest, HttpResponse
from ._models import Message, RecipientResult, SendResult, Sent
from ._observe import Hooks, Metrics, logger
from ._phone import DEFAULT_REGION
from ._redact import needles, redact, scrubbed
from ._registry import ProviderSpec, build_providers
from ._retry import RetryPolicy
from ._steps import Done, Job, RunJobs, Sleep, Step, StoreOp
from .policy.breaker import CircuitBreaker
from .policy.idempotency import Idempotency
from .policy.limits import PhoneLimits, ProviderRate
from .policy.lists import Blocklist, CountryAllowlist
from .providers.base import LocalProvider, Provider
from .stores.base import Store
from .stores.memory import MemoryStore
from .strategies import Strategy, in_order
from .transports.base import AsyncTransport, Transport

if TYPE_CHECKING:
    import asyncio

    from .receipts import Poll

__all__ = ["AsyncGateway", "Gateway"]

Providers = Mapping[str, ProviderSpec] | Sequence[Provider]
After = Callable[[Job, Done], StoreOp[Any] | None] | None
Before = Callable[[Job], Done | None] | None

_OPTIONS = """
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


class _GatewayCore:
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


async def _all(*jobs: Awaitable[Done]) -> list[Done]:
    """Every job's answer, in order; when one raised, its error once all have ended (no task outlives a send)."""
    import asyncio

    answers = await asyncio.gather(*jobs, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


def _store(op: StoreOp[Any]) -> Any:
    """Run a store operation; a quiet one's failure is logged and answered (see :class:`StoreOp`)."""
    if not op.quiet:
        return op.call()
    try:
        return op.call()
    except Exception as exc:
        return _failed_quietly(op, exc)


async def _astore(op: StoreOp[Any]) -> Any:
    if not op.quiet:
        return await op.acall()
    try:
        return await op.acall()
    except Exception as exc:
        return _failed_quietly(op, exc)


def _failed_quietly(op: StoreOp[Any], exc: Exception) -> Exception:
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


def _check_rows(job: Job, rows: list[RecipientResult]) -> None:
    if [r.phone for r in rows] == list(job.recipients):  # the usual answer: the request's own phones, in order
        return
    got, wanted = [r.phone.e164 for r in rows], [p.e164 for p in job.recipients]
    if sorted(got) != sorted(wanted):
        raise OutcomeUnknown("the response does not account for every recipient of the request")


class Gateway(_GatewayCore):
    """Sends messages, blocking; requests of one message run on up to ``concurrency`` threads.

    ``Gateway({"aliyun": {"access_key_id": …, "access_key_secret": …}})``; use it as a context
    manager, or call :meth:`close`, to release pooled connections. ``transport``: the HTTP client
    (pyreqwest when installed, else urllib3: see ``smsgate.transports.defaults``); ``sleep``: how
    to wait between retries (injected in tests).
    """

    __doc__ = (__doc__ or "") + _OPTIONS

    def __init__(
        self,
        providers: Providers,
        *,
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
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
        super().__init__(
            providers,
            default_region=default_region,
            strategy=strategy,
            retry=retry,
            concurrency=concurrency,
            clock=clock,
            store=store,
            send_log=send_log,
            limits=limits,
            rates=rates,
            blocklist=blocklist,
            allowlist=allowlist,
            breakers=breakers,
            idempotency=idempotency,
            hooks=hooks,
            metrics=metrics,
        )
        if transport is None:
            from .transports.defaults import default_transport

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
        return self._drive(self.flow.send(message, providers))

    def send_many(
        self,
        messages: Iterable[Message],
        *,
        providers: Sequence[str] | None = None,
        in_flight: int | None = None,
        group: bool = True,
        linger: float = LINGER,
    ) -> Iterator[Sent]:
        """Send every message of ``messages`` (any iterable, read as it goes), yielding one :class:`Sent`
        per message as it finishes, in no set order.

        At most ``in_flight`` sends (``concurrency`` by default) run at once, so memory stays bounded
        whatever the count. With ``group``, consecutive messages that can share a request are sent as
        one, each still answered on its own (see ``docs/bulk.md``); a partial group waits at most
        ``linger`` seconds for the next message. A message refused before anything
        was sent (bad input, a policy) comes back with its ``error``; the others go on. Stopping early
        sends what was read and lets the sends in flight finish.
        """
        grouper = _batching.grouper(self.providers, providers, self.default_region, group)
        width = max(1, in_flight or self.concurrency)
        return stream(partial(self.send, providers=providers), grouper, messages, width, linger)

    def poll_reports(self, providers: Sequence[str] | None = None, **options: Any) -> Poll:
        """Pull delivery receipts from providers with a query API (see :mod:`smsgate.receipts`)."""
        from .receipts import poll_reports

        return poll_reports(self, providers, **options)

    def _drive(self, steps: Generator[Step, Any, SendResult]) -> SendResult:
        reply: Any = None
        error: Exception | None = None
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as stop:
                result: SendResult = stop.value
                return result
            reply, error = None, None
            try:
                match step:
                    case RunJobs(jobs, after, before):
                        run = partial(self._job, after=after, before=before)
                        reply = [run(jobs[0])] if len(jobs) == 1 else list(self._executor().map(run, jobs))
                    case StoreOp():
                        reply = _store(step)
                    case Sleep(seconds):
                        self.sleep(seconds)
            except Exception as exc:
                error = exc

    def _job(self, job: Job, after: After = None, before: Before = None) -> Done:
        done = before(job) if before is not None else None
        if done is not None:
            return done
        done = self._request(job)
        op = after(job, done) if after is not None else None
        if op is not None:
            _store(op)
        return done

    def _request(self, job: Job) -> Done:
        if job.delay > 0:
            self.sleep(job.delay)
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
        """Release pooled connections, and the stores the gateway opened (a send log from a path, the
        stores of a configuration)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.transport.close()
        for store in self._owned:
            store.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncGateway(_GatewayCore):
    """The asyncio twin of :class:`Gateway`: the same results for the same message.

    ``transport``: the HTTP client (pyreqwest when installed, else aiohttp); ``sleep``: how to wait
    between retries. It holds nothing bound to an event loop, so one gateway serves any loop.
    """

    __doc__ = (__doc__ or "") + _OPTIONS

    def __init__(
        self,
        providers: Providers,
        *,
        transport: AsyncTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
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
        super().__init__(
            providers,
            default_region=default_region,
            strategy=strategy,
            retry=retry,
            concurrency=concurrency,
            clock=clock,
            store=store,
            send_log=send_log,
            limits=limits,
            rates=rates,
            blocklist=blocklist,
            allowlist=allowlist,
            breakers=breakers,
            idempotency=idempotency,
            hooks=hooks,
            metrics=metrics,
        )
        if transport is None:
            from .transports.defaults import default_async_transport

            transport = default_async_transport(self.concurrency)
        self.transport = transport
        import asyncio  # here, not at the top: ``import smsgate`` stays light for sync users

        self.sleep = sleep or asyncio.sleep

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **options: Any) -> AsyncGateway:
        """The asyncio twin of :meth:`Gateway.from_config`."""
        from ._config import load_config

        return load_config(path).async_gateway(**options)

    async def send(self, message: Message, *, providers: Sequence[str] | None = None) -> SendResult:
        """Send ``message``; one result line per recipient. Raises as :meth:`Gateway.send` does."""
        return await self._drive(self.flow.send(message, providers))

    def send_many(
        self,
        messages: Iterable[Message] | AsyncIterable[Message],
        *,
        providers: Sequence[str] | None = None,
        in_flight: int | None = None,
        group: bool = True,
        linger: float = LINGER,
    ) -> AsyncIterator[Sent]:
        """Send every message of ``messages`` (an iterable or async iterable, read as it goes),
        yielding one :class:`Sent` per message as it finishes; see :meth:`Gateway.send_many`."""
        grouper = _batching.grouper(self.providers, providers, self.default_region, group)
        width = max(1, in_flight or self.concurrency)
        return astream(partial(self.send, providers=providers), grouper, messages, width, linger)

    async def poll_reports(self, providers: Sequence[str] | None = None, **options: Any) -> Poll:
        """Pull delivery receipts from providers with a query API (see :mod:`smsgate.receipts`)."""
        from .receipts import apoll_reports

        return await apoll_reports(self, providers, **options)

    async def _drive(self, steps: Generator[Step, Any, SendResult]) -> SendResult:
        reply: Any = None
        error: Exception | None = None
        import asyncio

        limit: asyncio.Semaphore | None = None  # made in the running loop, per send
        while True:
            try:
                step = steps.send(reply) if error is None else steps.throw(error)
            except StopIteration as stop:
                result: SendResult = stop.value
                return result
            reply, error = None, None
            try:
                match step:
                    case RunJobs(jobs, after, before) if len(jobs) == 1:
                        reply = [await self._job(jobs[0], after, before)]
                    case RunJobs(jobs, after, before):
                        limit = limit or asyncio.Semaphore(self.concurrency)
                        reply = await _all(*[self._bounded(limit, job, after, before) for job in jobs])
                    case StoreOp():
                        reply = await _astore(step)
                    case Sleep(seconds):
                        await self.sleep(seconds)
            except Exception as exc:
                error = exc

    async def _bounded(self, limit: asyncio.Semaphore, job: Job, after: After, before: Before) -> Done:
        async with limit:
            return await self._job(job, after, before)

    async def _job(self, job: Job, after: After, before: Before) -> Done:
        done = before(job) if before is not None else None
        if done is not None:
            return done
        done = await self._request(job)
        op = after(job, done) if after is not None else None
        if op is not None:
            await _astore(op)
        return done

    async def _request(self, job: Job) -> Done:
        if job.delay > 0:
            await self.sleep(job.delay)
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
        """Release pooled connections, and the stores the gateway opened (see :meth:`Gateway.close`)."""
        await self.transport.aclose()
        for store in self._owned:
            await store.aclose()

    async def __aenter__(self) -> AsyncGateway:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
