"""``Gateway`` and ``AsyncGateway``: the engine driven with threads or with asyncio."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any

from ._engine import Done, Job, Step, plan
from ._errors import InvalidRequest, OutcomeUnknown, SmsError
from ._http import HttpRequest, HttpResponse
from ._models import Message, RecipientResult, SendResult
from ._phone import DEFAULT_REGION
from ._registry import ProviderSpec, build_providers
from ._retry import RetryPolicy
from .providers.base import LocalProvider, Provider
from .strategies import Strategy, in_order
from .transports.base import AsyncTransport, Transport

__all__ = ["AsyncGateway", "Gateway"]


class _GatewayCore:
    """What both gateways share: configuration, preparation and reading responses."""

    def __init__(
        self,
        providers: Mapping[str, ProviderSpec] | Sequence[Provider],
        *,
        default_region: str = DEFAULT_REGION,
        strategy: Strategy = in_order,
        retry: RetryPolicy | None = None,
        concurrency: int = 16,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.providers = build_providers(providers)
        self.default_region = default_region
        self.strategy = strategy
        self.retry = retry or RetryPolicy()
        self.concurrency = max(1, concurrency)
        self.clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} providers={list(self.providers)}>"

    def _plan(self, message: Message, providers: Sequence[str] | None) -> Generator[Step, Any, SendResult]:
        message = message.normalised(self.default_region)
        names = list(self.providers) if providers is None else list(providers)
        unknown = [n for n in names if n not in self.providers]
        if unknown or not names:
            raise InvalidRequest(f"unknown provider(s): {', '.join(unknown) or '(none given)'}", field="providers")
        order = list(self.strategy(names, message))
        return plan(message, self.providers, order, self.retry, self.clock)

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


def _owned(error: SmsError, job: Job) -> SmsError:
    if error.provider is None:
        error.provider = job.provider.alias
    return error


def _check_rows(job: Job, rows: list[RecipientResult]) -> None:
    if sorted(r.phone.e164 for r in rows) != sorted(p.e164 for p in job.recipients):
        raise OutcomeUnknown("the response does not account for every recipient of the request")


class Gateway(_GatewayCore):
    """Sends messages, blocking. Requests of one message run on up to ``concurrency`` threads.

    ``Gateway({"aliyun": {"access_key_id": …, "access_key_secret": …}})``; use it as a context
    manager, or call :meth:`close`, to release pooled connections.
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
            from .transports.urllib3 import Urllib3Transport

            transport = Urllib3Transport(maxsize=self.concurrency)
        self.transport = transport
        self.sleep = sleep
        self._pool: ThreadPoolExecutor | None = None

    def send(self, message: Message, *, providers: Sequence[str] | None = None) -> SendResult:
        """Send ``message``; one result line per recipient. Raises only for invalid input."""
        steps = self._plan(message, providers)
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if isinstance(step, float):
                self.sleep(step)
                reply = None
            elif len(step) == 1:
                reply = [self._run(step[0])]
            else:
                reply = list(self._executor().map(self._run, step))

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
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.transport.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncGateway(_GatewayCore):
    """The asyncio twin of :class:`Gateway`: the same results for the same message."""

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
            from .transports.aiohttp import AiohttpTransport

            transport = AiohttpTransport(limit=max(100, self.concurrency))
        self.transport = transport
        self.sleep = sleep
        self._limit = asyncio.Semaphore(self.concurrency)

    async def send(self, message: Message, *, providers: Sequence[str] | None = None) -> SendResult:
        """Send ``message``; one result line per recipient. Raises only for invalid input."""
        steps = self._plan(message, providers)
        reply: Any = None
        while True:
            try:
                step = steps.send(reply)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if isinstance(step, float):
                await self.sleep(step)
                reply = None
            elif len(step) == 1:
                reply = [await self._run(step[0])]
            else:
                reply = list(await asyncio.gather(*(self._bounded(job) for job in step)))

    async def _bounded(self, job: Job) -> Done:
        async with self._limit:
            return await self._run(job)

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
        await self.transport.aclose()

    async def __aenter__(self) -> AsyncGateway:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
