"""``Gateway``: the send flow driven with threads (``AsyncGateway``, its asyncio twin, is in
``_async_gateway``; what both share in ``_gateway_core``).

A send on the straight path (one request, no policy step: see ``_flow``) is made right here; any
other send, and a straight one whose answer is not a plain acceptance, is the flow's generator
(``_flow.SendFlow``) driven in one loop, carrying out its steps (``_steps``): :class:`RunJobs`
(requests, concurrently), :class:`Sleep` and :class:`StoreOp`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import _batching
from ._async_gateway import AsyncGateway
from ._bulk import LINGER, stream
from ._errors import SmsError
from ._gateway_core import OPTIONS, After, Before, GatewayCore, Providers, open_sqlite, run_quietly
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
from .transports.base import Transport

if TYPE_CHECKING:
    from .receipts import Poll

# AsyncGateway, GatewayCore and open_sqlite are re-exported: front doors import them from here
__all__ = ["AsyncGateway", "Gateway", "GatewayCore", "_GatewayCore", "open_sqlite"]

_GatewayCore = GatewayCore  # the name the front doors know


class Gateway(GatewayCore):
    """Sends messages, blocking; requests of one message run on up to ``concurrency`` threads.

    ``Gateway({"aliyun": {"access_key_id": …, "access_key_secret": …}})``; use it as a context
    manager, or call :meth:`close`, to release pooled connections. ``transport``: the HTTP client
    (pyreqwest when installed, else urllib3: see ``smsgate.transports.defaults``); ``sleep``: how
    to wait between retries (injected in tests).
    """

    __doc__ = (__doc__ or "") + OPTIONS

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
        straight = self.flow.straight(message, providers)
        if straight is None:
            return self._drive(self.flow.send(message, providers))
        if straight.job is None:
            return self._drive(self.flow.resume(straight, None))
        done = self._request(straight.job)
        result = self.flow.settle(straight, done)
        return result if result is not None else self._drive(self.flow.resume(straight, done))

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
                        reply = run_quietly(step)
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
            run_quietly(op)
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
