"""What the routes share: the gateway, the store, keys, tenant records and metrics.

The service has no send logic of its own: :meth:`Service.send` calls ``AsyncGateway.send`` and
records which tenant the message belongs to. Each send runs in its own task, shielded from the
request's cancellation, and :meth:`Service.aclose` waits for every one still running, so a send
that was accepted is finished and recorded before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from .._gateway import AsyncGateway
from .._models import Message, SendResult
from ..receipts import Receipts
from ..stores.base import Store
from ..verify import AsyncVerifier
from ._keys import ApiKey, ApiKeys
from ._metrics import ServiceMetrics
from ._records import Records
from ._tenants import TenantGateways

__all__ = ["Service"]

logger = logging.getLogger("smsgate.server")


class Service:
    """One per process. ``verifier`` serves ``/v1/verifications`` (``verifier_problem`` says why
    there is none); ``receipts`` serves ``/v1/webhooks``; ``tenants`` gives tenants with provider
    settings of their own their own gateway. ``key_cache_ttl``: how long a checked key
    is trusted before it is read again (a revoked key stops working within that time)."""

    def __init__(
        self,
        gateway: AsyncGateway,
        store: Store,
        *,
        metrics: ServiceMetrics | None = None,
        verifier: AsyncVerifier | None = None,
        verifier_problem: str | None = None,
        receipts: Receipts | None = None,
        tenants: TenantGateways | None = None,
        key_cache_ttl: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if gateway.send_log is None:
            raise ValueError("the service needs a gateway with a send log")
        self.gateway = gateway
        self.store = store
        self.keys = ApiKeys(store)
        self.records = Records(store, gateway.send_log)
        self.metrics = metrics or ServiceMetrics()
        self.metrics.watch(gateway)
        self.verifier = verifier
        self.verifier_problem = verifier_problem
        self.receipts = receipts
        self.tenants = tenants
        self.key_cache_ttl = key_cache_ttl
        self.clock = clock
        self._checked: dict[str, tuple[ApiKey | None, float]] = {}
        self._inflight: set[asyncio.Task[SendResult]] = set()

    async def key(self, token: str) -> ApiKey | None:
        """The live key ``token`` is, else ``None``; answers from a short-lived cache."""
        now = self.clock()
        cached = self._checked.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        key = await self.keys.acheck(token)
        if self.key_cache_ttl > 0 and key is not None:
            if len(self._checked) > 10_000:
                self._checked.clear()
            self._checked[token] = (key, now + self.key_cache_ttl)
        return key

    async def send(self, tenant: str, message: Message, providers: Sequence[str] | None = None) -> SendResult:
        """Send for ``tenant``; the send and its records finish even if the caller goes away."""
        task = asyncio.ensure_future(self._send(tenant, message, providers))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    async def _send(self, tenant: str, message: Message, providers: Sequence[str] | None) -> SendResult:
        gateway = self.gateway if self.tenants is None else await self.tenants.for_tenant(tenant)
        result = await gateway.send(message, providers=providers)
        if not result.replayed:
            try:
                await self.records.own(tenant, result.message_id)
            except Exception:  # what was sent is answered all the same; the send log has it
                logger.warning(
                    "could not record that message %s belongs to %s", result.message_id, tenant, exc_info=True
                )
        return result

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    async def aclose(self) -> None:
        """Wait for every send still running, then close the gateway."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        if self.tenants is not None:
            await self.tenants.aclose()
        await self.gateway.aclose()
        self.metrics.stopped()
