"""``/healthz`` (the process answers), ``/readyz`` (store and providers usable), ``/metrics``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import JSONResponse, Response

from ._auth import service_of
from ._service import Service

__all__ = ["router"]

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """200 while the process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "the store or every provider is unusable"}})
async def readyz(service: Annotated[Service, Depends(service_of)]) -> Response:
    """200 when the store answers within a second and some provider's circuit is not open."""
    checks: dict[str, Any] = {}
    try:
        await asyncio.wait_for(service.store.aget("readyz"), 1.0)
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unavailable: {type(exc).__name__}"
    breakers = service.gateway.breakers
    providers = {alias: breakers[alias].state if alias in breakers else "closed" for alias in service.gateway.providers}
    checks["providers"] = providers
    ready = checks["store"] == "ok" and any(state != "open" for state in providers.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", **checks}, 200 if ready else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
async def metrics(service: Annotated[Service, Depends(service_of)]) -> Response:
    """Prometheus metrics: provider attempts, outcomes, latency, breakers, HTTP requests."""
    return Response(generate_latest(service.metrics.exposed()), media_type=CONTENT_TYPE_LATEST)
