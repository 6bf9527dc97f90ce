"""Per-tenant providers: a tenant whose provider settings the extensions platform keeps sends with
them; every other tenant sends with the service's providers.

The settings are the ones the ArkID-style door keeps (``Platform.save_settings(tenant, package,
…)``, encrypted at rest, endpoints checked by the platform's policy). A tenant's choice is read at
most every ``ttl`` seconds; gateways are kept per distinct settings and share the service's store,
send log, metrics and hooks, so idempotency, records and ``/metrics`` cover them too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from .._gateway import AsyncGateway
from ..extensions import Platform
from ..extensions._platform import _public_hosts

__all__ = ["TenantGateways"]

_KEPT = 256  # gateways kept (one per distinct set of tenant settings)


class TenantGateways:
    """The gateway for each tenant: its own providers, or ``default``."""

    def __init__(
        self,
        platform: Platform,
        default: AsyncGateway,
        *,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.default = default
        self.ttl = ttl
        self.clock = clock
        self._chosen: dict[str, tuple[AsyncGateway, float]] = {}
        self._gateways: dict[str, AsyncGateway] = {}

    async def for_tenant(self, tenant: str) -> AsyncGateway:
        """Raises :class:`~smsgate.ConfigError` naming the field when the tenant's settings are unusable."""
        now = self.clock()
        chosen = self._chosen.get(tenant)
        if chosen is not None and chosen[1] > now:
            return chosen[0]
        providers = await asyncio.to_thread(self._providers, tenant)
        gateway = self.default if not providers else self._gateway(providers)
        if len(self._chosen) > 10_000:
            self._chosen.clear()
        self._chosen[tenant] = (gateway, now + self.ttl)
        return gateway

    def _providers(self, tenant: str) -> dict[str, dict[str, Any]]:
        providers: dict[str, dict[str, Any]] = {}
        for package, extension in self.platform.extensions.items():
            provider = getattr(extension, "provider", "")
            record = self.platform.store.settings(tenant, package) if provider else None
            if record is None:
                continue
            given = {k: v for k, v in record.settings.items() if v is not None}  # unset: the provider's default
            settings = {**getattr(extension, "provider_defaults", {}), **given}
            self.platform.endpoints.check(provider, settings, public=_public_hosts(provider), resolve=True)
            providers[provider] = {"provider": provider, **settings}
        return providers

    def _gateway(self, providers: dict[str, dict[str, Any]]) -> AsyncGateway:
        plain = {
            a: {k: v.get_secret_value() if isinstance(v, SecretStr) else v for k, v in s.items()}
            for a, s in providers.items()
        }
        key = hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()
        gateway = self._gateways.get(key)
        if gateway is None:
            base = self.default
            gateway = AsyncGateway(
                providers,
                store=base.store,
                send_log=base.send_log,
                default_region=base.default_region,
                retry=base.retry,
                metrics=base.metrics,
                hooks=base.hooks,
            )
            if len(self._gateways) >= _KEPT:  # the oldest goes; a send still using it keeps its own reference
                self._gateways.pop(next(iter(self._gateways)))
            self._gateways[key] = gateway
        return gateway

    async def aclose(self) -> None:
        for gateway in self._gateways.values():
            await gateway.aclose()
        self._gateways.clear()
