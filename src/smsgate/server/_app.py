"""The app factory: ``create_app(config)`` → a FastAPI app serving ``/v1``, health and metrics.

The gateway and store are opened when the app starts (in the serving process and its event loop)
and closed when it stops, after every send still running has finished. Further routers, such as a
dashboard under ``/ui/``, can be added to the returned app.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from .._config import DEFAULT_LOG, Config, load_config, open_store
from .._errors import ConfigError
from .._gateway import AsyncGateway
from ..campaigns import count_deliveries
from ..extensions import Platform
from ..extensions._store import ENV_PATH
from ..receipts import Receipts
from ..stores.base import Store
from ..verify import AsyncVerifier
from . import _campaigns, _health, _messages, _problems, _verifications, _webhooks
from ._fastsend import FastSend
from ._metrics import MetricsMiddleware, ServiceMetrics
from ._service import Service
from ._tenants import TenantGateways
from ._verifications import TenantPolicy
from .ui import install as install_dashboard

__all__ = ["create_app", "create_app_from_env", "store_for"]


def create_app(
    config: Config | None = None,
    *,
    store: Store | None = None,
    gateway: AsyncGateway | None = None,
    tenant_settings: Platform | None = None,
    key_cache_ttl: float = 1.0,
) -> FastAPI:
    """The service over ``config``'s providers (the embedded default when ``None``).

    ``store`` keeps keys, tenant records, idempotency keys and verifications (by default
    :func:`store_for` the config); ``gateway`` replaces the one built from ``config`` (it must have
    a send log). ``tenant_settings``: tenants whose provider settings this extensions platform keeps
    send with them, the others with the service's providers. Verification needs server keys in
    ``$SMSGATE_VERIFY_KEYS``; without them ``/v1/verifications`` answers 503 and the rest works.
    """
    config = config or load_config()
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as opened:  # closed in reverse: the service (its sends) first
            used = store
            if used is None:
                used = store_for(config)
                opened.push_async_callback(used.aclose)
            sender = gateway
            if sender is None:
                log = used
                if config.store != "memory" and config.send_log and config.send_log != config.store:
                    log = open_store(config.send_log)
                    opened.push_async_callback(log.aclose)
                options = config.model_copy(update={"store": "memory", "send_log": None}).gateway_options()
                sender = AsyncGateway(config.providers, **{**options, "store": used, "send_log": log})
            verifier, problem = _verifier(sender, used)
            receipts = Receipts.for_gateway(sender, config.receipts, on_delivery=[count_deliveries(used)])
            service = Service(
                sender,
                used,
                metrics=metrics,
                verifier=verifier,
                verifier_problem=problem,
                receipts=receipts,
                tenants=None if tenant_settings is None else TenantGateways(tenant_settings, sender),
                key_cache_ttl=key_cache_ttl,
            )
            opened.push_async_callback(service.aclose)
            app.state.service = service
            yield

    app = FastAPI(
        title="smsgate",
        version=__version__,
        summary="Send SMS through any provider, with failover that never double-sends.",
        lifespan=lifespan,
    )
    _problems.install(app)
    app.state.config = config
    app.include_router(_messages.router)
    app.include_router(_campaigns.router)
    app.include_router(_verifications.router)
    app.include_router(_webhooks.router)
    app.include_router(_health.router)
    install_dashboard(app)
    app.add_middleware(FastSend)  # inside the metrics middleware: counted as the route
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def create_app_from_env() -> FastAPI:
    """For ``uvicorn --factory smsgate.server:create_app_from_env``: the config named by
    ``$SMSGATE_CONFIG``; with ``$SMSGATE_EXTENSIONS_DB``, tenants' own provider settings from that
    extensions platform store."""
    platform = None
    if os.environ.get(ENV_PATH):
        platform = Platform()
        platform.load_entry_points()
    return create_app(load_config(), tenant_settings=platform)


def store_for(config: Config) -> Store:
    """The store the service keeps keys and records in: the config's ``store`` when it is not
    ``memory`` (shared by every worker and replica), else the send log's file (``smsgate.sqlite3``)."""
    return open_store(config.store if config.store != "memory" else config.send_log or DEFAULT_LOG)


def _verifier(gateway: AsyncGateway, store: Store) -> tuple[AsyncVerifier | None, str | None]:
    try:
        return AsyncVerifier(gateway, store, policy=TenantPolicy()), None
    except ConfigError as exc:  # no server key: the rest of the service works without it
        return None, exc.message
