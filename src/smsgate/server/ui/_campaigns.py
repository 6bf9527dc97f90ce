"""The campaigns page: a tenant's campaigns with progress, counts, rejects and status; pause and resume.

State is read and moved through :class:`~smsgate.campaigns.Campaigns` (in a thread: it blocks);
a resumed campaign goes on as the API's resume does (on the workers, or here).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ..._errors import InvalidRequest
from ...campaigns import Campaign, Campaigns, CampaignSettings, CampaignState
from .._campaigns import _owner, _start, tenant_campaign_ids
from ._render import guard, page, service_of
from ._tenancy import is_operator, shown_tenant, tenants

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
LISTED = 200  # newest campaigns of the tenant shown
REJECTS = 5  # shown per campaign
_ID = re.compile(r"[0-9a-f]{16}")
SHOWN = ("queued", "sent", "accepted", "rejected", "unknown", "delivered")


def _view(state: CampaignState, rejects: list[Any]) -> dict[str, Any]:
    c = state.counts
    return {
        "state": state,
        "done": state.finished,
        "total": max(c["total"], state.finished, 1),
        "rejects": rejects,
        "rejected": c["invalid"] + c["rejected"],
    }


def _tenant_campaigns(campaigns: Campaigns, tenant: str) -> list[dict[str, Any]]:
    mine = [campaigns.get(i) for i in tenant_campaign_ids(campaigns.store, tenant, LISTED)]
    return [_view(s, list(itertools.islice(campaigns.rejects(s.id), REJECTS))) for s in mine]


@router.get("/campaigns")
async def campaigns_page(request: Request, tenant: str = "") -> Response:
    session = await guard(request)
    shown = shown_tenant(request, session, tenant)
    found = await asyncio.to_thread(_tenant_campaigns, Campaigns(service_of(request).store), shown)
    context = {"tenant": shown, "tenants": await tenants(request, session), "campaigns": found, "counts": SHOWN}
    return page(request, "campaigns.html", session, context)


@router.post("/campaigns/{campaign_id}/{action}")
async def move(request: Request, campaign_id: str, action: str) -> Response:
    session = await guard(request, dict(await request.form()))
    service = service_of(request)
    owner = await service.store.aget(_owner(campaign_id)) if _ID.fullmatch(campaign_id) else None
    if (
        action not in ("pause", "resume")
        or owner is None
        or not (owner == session.tenant or is_operator(request, session))
    ):
        return page(request, "error.html", session, {"problem": "no such campaign"}, 404)
    campaigns = Campaigns(service.store)
    try:
        if action == "pause":
            await asyncio.to_thread(campaigns.pause, campaign_id)
        else:
            state = await asyncio.to_thread(campaigns.resume, campaign_id)
            config = request.app.state.config
            settings = CampaignSettings.of(config)
            if not (settings.broker and state.chunks is not None):
                _start(Campaign.resume(campaign_id, service.store), config, settings, service.store)
    except InvalidRequest as exc:
        return page(request, "error.html", session, {"problem": exc.message}, 409)
    return RedirectResponse(f"/ui/campaigns?tenant={owner}", 303)
