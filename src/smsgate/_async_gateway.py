"""``AsyncGateway``: the send flow driven with asyncio, as ``Gateway`` drives it with threads
(see ``_gateway``; what both share is in ``_gateway_core``)."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Generator, Iterable, Mapping, Sequence
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _batching
from ._bulk import LINGER, astream
from ._errors import SmsError
from ._gateway_core import OPTIONS, After, Before, GatewayCore, Providers, failed_quietly
from ._models import Message, SendResult, Sent
from ._observe import Hooks, Metrics
from ._phone import DEFAULT_REGION
from ._retry import RetryPolicy
from ._steps import Done, Job, RunJobs, Sleep, Step, StoreOp
from .policy.breaker import CircuitBreaker
from .policy.idempotency import Idempotency
from .policy.limits import PhoneLimits, ProviderRate
from .policy.lists import CountryAllowlist
from .providers.base import LocalProvider
from .stores.base import Store
from .strategies import Strategy, in_order
from .transports.base import AsyncTransport

if TYPE_CHECKING:
    import asyncio

    from .receipts import Poll

__all__ = ["AsyncGateway"]


class AsyncGateway(GatewayCore):
    """The asyncio twin of :class:`Gateway`: the same results for the same message.

    ``transport``: the HTTP client (pyreqwest when installed, else aiohttp); ``sleep``: how to wait
    between retries. It holds nothing bound to an event loop, so one gateway serves any loop.
    """

    __doc__ = (__doc__ or "") + OPTIONS

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
        straight = self.flow.straight(message, providers)
        if straight is None:
            return await self._drive(self.flow.send(message, providers))
        if straight.job is None:
            return await self._drive(self.flow.resume(straight, None))
        done = await self._request(straight.job)
        result = self.flow.settle(straight, done)
        return result if result is not None else await self._drive(self.flow.resume(straight, done))

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


async def _all(*jobs: Awaitable[Done]) -> list[Done]:
    """Every job's answer, in order; when one raised, its error once all have ended (no task outlives a send)."""
    import asyncio

    answers = await asyncio.gather(*jobs, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


async def _astore(op: StoreOp[Any]) -> Any:
    if not op.quiet:
        return await op.acall()
    try:
        return await op.acall()
    except Exception as exc:
        return failed_quietly(op, exc)
