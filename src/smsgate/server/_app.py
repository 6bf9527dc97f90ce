"""The app factory: ``create_app(config)`` → a FastAPI app serving ``/v1``, health and metrics.

The gateway and store are opened when the app starts (in the serving process and its event loop)
and closed when it stops, after every send still running has finished. Further routers, such as a
dashboard under ``/ui/``, can be added to the returned app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from .._config import DEFAULT_LOG, Config, load_config
from .._gateway import AsyncGateway
from ..stores.base import Store
from . import _health, _messages, _problems
from ._metrics import MetricsMiddleware, ServiceMetrics
from ._service import Service

__all__ = ["create_app", "create_app_from_env", "store_for"]


def create_app(
    config: Config | None = None,
    *,
    store: Store | None = None,
    gateway: AsyncGateway | None = None,
    key_cache_ttl: float = 1.0,
) -> FastAPI:
    """The service over ``config``'s providers (the embedded default when ``None``).

    ``store`` keeps keys, tenant records, idempotency keys and the send log (SQLite at the
    config's ``send_log`` when not given); ``gateway`` replaces the one built from ``config``
    (it must have a send log).
    """
    config = config or load_config()
    metrics = ServiceMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store is None
        used = store if store is not None else store_for(config)
        try:
            sender = gateway or config.async_gateway(store=used, send_log=used)
            service = Service(sender, used, metrics=metrics, key_cache_ttl=key_cache_ttl)
        except BaseException:
            if opened:
                used.close()
            raise
        app.state.service = service
        try:
            yield
        finally:
            await service.aclose()
            if opened:
                await used.aclose()

    app = FastAPI(
        title="smsgate",
        version=__version__,
        summary="Send SMS through any provider, with failover that never double-sends.",
        lifespan=lifespan,
    )
    _problems.install(app)
    app.include_router(_messages.router)
    app.include_router(_health.router)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def create_app_from_env() -> FastAPI:
    """For ``uvicorn --factory smsgate.server:create_app_from_env``: the config named by ``$SMSGATE_CONFIG``."""
    return create_app(load_config())


def store_for(config: Config) -> Store:
    """The store the service keeps its records in: SQLite at the config's send log (``smsgate.sqlite3``)."""
    from ..stores.sqlite import SQLiteStore

    return SQLiteStore(config.send_log or DEFAULT_LOG)
