"""``/v1/campaigns``: upload a CSV or JSON lines file (multipart, streamed to disk), follow, pause, resume.

The upload is copied to ``[campaigns] uploads`` (by default ``campaign-uploads`` beside the service's
SQLite store) a megabyte at a time (never whole in memory) and
becomes the campaign's source. With a ``[campaigns] broker`` its chunks are queued for ``smsgate
worker`` processes; without, it runs in this process, in the background. Campaigns belong to the
caller's tenant: another tenant's are not found.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path as FilePath
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from .._config import Config
from .._models import new_id
from ..campaigns import Campaign, Campaigns, CampaignSettings
from ..stores.base import Store
from ._auth import require, service_of
from ._keys import ApiKey
from ._problems import MEDIA_TYPE, Problem
from ._schemas import ProblemOut
from ._service import Service

__all__ = ["router"]

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])
CampaignId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the campaign's id")]
_SUFFIXES = {".csv": ".csv", ".jsonl": ".jsonl", ".ndjson": ".jsonl"}
_running: set[asyncio.Task[Any]] = set()


class CampaignCreated(BaseModel):
    id: str
    status: str


class CampaignOut(BaseModel):
    id: str
    name: str
    status: str
    counts: dict[str, int]
    chunks: int | None
    chunks_done: int
    created_at: float
    template: str | None
    source: str | None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ProblemOut, "content": {MEDIA_TYPE: {}}} for s in statuses}


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


def _config(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


def _owner(campaign_id: str) -> str:
    return f"campaign-owner:{campaign_id}"


def _listed(tenant: str, index: int | str) -> str:
    return f"tenant-campaigns:{tenant}:{index}"


async def _assign(store: Store, tenant: str, campaign_id: str) -> None:
    """The campaign belongs to ``tenant``, and joins the end of that tenant's own listing."""
    await store.aset(_owner(campaign_id), tenant)
    await store.aset(_listed(tenant, await store.aincr(_listed(tenant, "count"))), campaign_id)


def assign(store: Store, tenant: str, campaign_id: str) -> None:
    """:func:`_assign`, blocking (for campaigns recorded outside the service)."""
    store.set(_owner(campaign_id), tenant)
    store.set(_listed(tenant, store.incr(_listed(tenant, "count"))), campaign_id)


def tenant_campaign_ids(store: Store, tenant: str, limit: int) -> list[str]:
    """The ids of the tenant's newest ``limit`` campaigns, newest first."""
    count = int(store.get(_listed(tenant, "count")) or 0)
    ids = store.get_many([_listed(tenant, i) for i in range(count, max(0, count - limit), -1)])
    return [i for i in ids if i is not None]


async def _owned(service: Service, tenant: str, campaign_id: str) -> Campaigns:
    if await service.store.aget(_owner(campaign_id)) != tenant:
        raise Problem(404, f"no campaign {campaign_id}", code=46001, field="campaign_id")
    return Campaigns(service.store)


@router.post("", status_code=202, response_model=CampaignCreated, responses=_problems(400, 401, 403, 422, 429))
async def create_campaign(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV with a header (a phone column), or JSON lines")],
    key: Annotated[ApiKey, Depends(require("send"))],
    service: Annotated[Service, Depends(service_of)],
    template: Annotated[str | None, Form(max_length=128)] = None,
    text: Annotated[str | None, Form(max_length=1600)] = None,
    sign_name: Annotated[str | None, Form(max_length=64)] = None,
    name: Annotated[str | None, Form(max_length=128)] = None,
    params: Annotated[str | None, Form(description="JSON object of params shared by every row")] = None,
    phone_column: Annotated[str, Form(max_length=64)] = "phone",
) -> Response:
    """Start a campaign from the uploaded file; 202 with its id (follow it at ``GET /v1/campaigns/{id}``)."""
    config = _config(request)
    settings = CampaignSettings.of(config)
    suffix = _SUFFIXES.get(FilePath(file.filename or "").suffix.lower(), ".csv")
    shared = _params(params)
    folder = _uploads(settings, service.store)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{new_id()}{suffix}"
    with path.open("wb") as dst:
        while block := await file.read(1 << 20):
            dst.write(block)
    campaign = Campaign(path, template=template, text=text, sign_name=sign_name, name=name or file.filename,
                        params=shared, phone_column=phone_column, limits=settings.limits(config),
                        chunk_size=settings.chunk_size, batch_size=settings.batch_size,
                        concurrency=settings.concurrency, lease=settings.lease,
                        settle_after=settings.settle_after)  # fmt: skip
    next(iter(campaign.source.read(config.default_region)), None)  # a file that cannot be read: 422 now
    await _assign(service.store, key.tenant, campaign.id)
    await asyncio.to_thread(campaign.record, service.store, time.time())
    _start(campaign, config, settings, service.store)
    return _json({"id": campaign.id, "status": "running"}, 202)


def _uploads(settings: CampaignSettings, store: Store) -> FilePath:
    """``[campaigns] uploads``; by default a folder beside the service's SQLite store."""
    if settings.uploads is not None:
        return FilePath(settings.uploads)
    beside = getattr(store, "path", None)
    return FilePath(beside).parent / "campaign-uploads" if isinstance(beside, str) else FilePath("campaign-uploads")


def _params(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise Problem(422, "params: not valid JSON", code=46001, field="params") from None
    if not isinstance(value, dict):
        raise Problem(422, "params: expected a JSON object", code=46001, field="params")
    return value


def _start(campaign: Campaign, config: Config, settings: CampaignSettings, store: Store) -> None:
    if settings.broker:
        from ..campaigns.tasks import enqueue

        task: asyncio.Task[Any] = asyncio.ensure_future(asyncio.to_thread(enqueue, campaign, config=config))
    else:
        task = asyncio.ensure_future(_run_here(campaign, config, settings, store))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def _run_here(campaign: Campaign, config: Config, settings: CampaignSettings, store: Store) -> None:
    async with settings.async_gateway(config, store, send_log=store) as gateway:
        await campaign.arun(gateway, store=store)


@router.get("/{campaign_id}", response_model=CampaignOut, responses=_problems(401, 403, 404, 422, 429))
async def get_campaign(
    campaign_id: CampaignId,
    key: Annotated[ApiKey, Depends(require("read"))],
    service: Annotated[Service, Depends(service_of)],
) -> Response:
    """The campaign's status and counts."""
    campaigns = await _owned(service, key.tenant, campaign_id)
    return _json((await asyncio.to_thread(campaigns.get, campaign_id)).to_dict())


@router.post("/{campaign_id}/pause", response_model=CampaignOut, responses=_problems(401, 403, 404, 422, 429))
async def pause_campaign(
    campaign_id: CampaignId,
    key: Annotated[ApiKey, Depends(require("send"))],
    service: Annotated[Service, Depends(service_of)],
) -> Response:
    """Stop sending new rows; rows in flight finish."""
    campaigns = await _owned(service, key.tenant, campaign_id)
    return _json((await asyncio.to_thread(campaigns.pause, campaign_id)).to_dict())


@router.post("/{campaign_id}/resume", response_model=CampaignOut, responses=_problems(401, 403, 404, 422, 429))
async def resume_campaign(
    request: Request,
    campaign_id: CampaignId,
    key: Annotated[ApiKey, Depends(require("send"))],
    service: Annotated[Service, Depends(service_of)],
) -> Response:
    """Go on with a paused campaign, here or on the workers."""
    campaigns = await _owned(service, key.tenant, campaign_id)
    state = await asyncio.to_thread(campaigns.resume, campaign_id)
    config = _config(request)
    settings = CampaignSettings.of(config)
    if not (settings.broker and state.chunks is not None):
        _start(Campaign.resume(campaign_id, service.store), config, settings, service.store)
    return _json(state.to_dict())
