"""The verifications page: a tenant's counts by status and purpose, and starts per hour by purpose
(from the verifier's counters: never a code, nor anything drawn from one)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from ...verify import PurposeStats, VerificationStatus
from .._verifications import tenant_purpose
from ._charts import lines
from ._render import guard, page, service_of
from ._tenancy import shown_tenant, tenants

__all__ = ["router", "tenant_stats"]

router = APIRouter(prefix="/ui", include_in_schema=False)
STATUSES = tuple(s.value for s in VerificationStatus)
SPANS = (6, 24, 72, 168)  # hours


def tenant_stats(found: list[PurposeStats], tenant: str) -> list[PurposeStats]:
    """The tenant's purposes among ``found`` (the service keeps them with a suffix of the tenant's), named plainly."""
    suffix = tenant_purpose("", tenant)
    return [PurposeStats(s.purpose[: -len(suffix)], s.counts, s.started) for s in found if s.purpose.endswith(suffix)]


@router.get("/verifications")
async def verifications(request: Request, tenant: str = "", hours: str = "24") -> Response:
    session = await guard(request)
    shown = shown_tenant(request, session, tenant)
    span = next((h for h in SPANS if str(h) == hours.strip()), 24)
    verifier = service_of(request).verifier
    found = [] if verifier is None else tenant_stats(await verifier.stats(hours=span), shown)
    context = {
        "tenant": shown,
        "tenants": await tenants(request, session),
        "hours": span,
        "spans": SPANS,
        "statuses": STATUSES,
        "purposes": found,
        "totals": {k: sum(s.counts.get(k, 0) for s in found) for k in ("started", *STATUSES)},
        "chart": lines({s.purpose: s.started for s in found}),
        "unavailable": None if verifier is not None else service_of(request).verifier_problem,
    }
    return page(request, "verifications.html", session, context)
