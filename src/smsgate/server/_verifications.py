"""``/v1/verifications``: one-time codes through ``AsyncVerifier`` (never a code in an answer).

Verifications are the tenant's own: the purpose is kept with a suffix naming the tenant, so a
tenant's new verification cancels only its own earlier one for that phone and purpose, and ids of
other tenants answer 404.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from ..verify import Verification, VerificationFailed, VerifyPolicy
from ._auth import require, service_of
from ._keys import ApiKey
from ._problems import MEDIA_TYPE, Problem
from ._schemas import Name, Params, Phone, ProblemOut, Text
from ._service import Service

__all__ = ["TenantPolicy", "router", "tenant_purpose"]

router = APIRouter(prefix="/v1/verifications", tags=["verifications"])
VerificationId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="the verification's id")]
Purpose = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


def tenant_purpose(purpose: str, tenant: str) -> str:
    return f"{purpose}.t{hashlib.sha256(tenant.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class TenantPolicy(VerifyPolicy):
    """The verifier's policy, reading a tenant's purpose without its suffix (TTL caps apply as ever)."""

    def ttl_for(self, purpose: str, ttl: float | None) -> float:
        return super().ttl_for(purpose.rpartition(".")[0] or purpose, ttl)


class VerificationIn(BaseModel):
    """Send a new code to ``to``: a template code (the code fills its ``code`` param) or a ``${code}`` text."""

    model_config = ConfigDict(extra="forbid")

    to: Phone
    template: Name | None = None
    text: Text | None = None
    purpose: Purpose = "login"
    params: Params = Field(default_factory=dict, description="other template params (not the code)")
    sign_name: Name | None = None
    templates: Annotated[dict[Name, Name], Field(max_length=32)] = Field(default_factory=dict)
    ttl: Annotated[float, Field(ge=60, le=86400)] | None = Field(None, description="seconds; at most 600 for login")
    client: Name | None = Field(None, description="who asked (an end user's IP): budgets count per client")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(max_length=16)]


class VerificationOut(BaseModel):
    """A verification's status: never its code."""

    id: str
    phone: str
    purpose: str
    status: str = Field(description="pending, approved, canceled, expired or max_attempts_reached")
    expires_at: str
    sends: int
    attempts: int
    send_status: str | None
    provider: str | None
    message_id: str | None
    error: dict[str, Any] | None


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ProblemOut, "content": {MEDIA_TYPE: {}}} for s in statuses}


def _answer(verification: Verification, status: int = 200) -> Response:
    view = verification.to_dict()
    view["purpose"] = verification.purpose.rpartition(".")[0] or verification.purpose
    return Response(orjson.dumps(view), status, media_type="application/json")


async def _owned(service: Service, key: ApiKey, verification_id: str) -> None:
    if await service.store.aget(f"owner:v:{verification_id}") != key.tenant:
        raise Problem(404, f"no verification {verification_id}", code=46001, field="verification_id")


def _verifier(service: Service) -> Any:
    if service.verifier is None:
        raise Problem(503, f"verification is not set up: {service.verifier_problem}", code=46010)
    return service.verifier


Key = Annotated[ApiKey, Depends(require("verify"))]
Served = Annotated[Service, Depends(service_of)]


@router.post("", status_code=201, response_model=VerificationOut, responses=_problems(401, 403, 422, 429, 503))
async def start(
    body: VerificationIn,
    key: Key,
    service: Served,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Response:
    """Send a new code; the answer has the id, status and expiry (never the code)."""
    verifier = _verifier(service)
    started: Verification = await verifier.start(
        body.to,
        template=body.template,
        text=body.text,
        purpose=tenant_purpose(body.purpose, key.tenant),
        params=body.params,
        sign_name=body.sign_name,
        templates=body.templates,
        client=body.client or key.id,
        ttl=body.ttl,
        idempotency_key=f"{key.tenant}:{idempotency_key}" if idempotency_key else None,
    )
    await service.store.aset(f"owner:v:{started.id}", key.tenant)
    service.metrics.verifications.labels("start", started.status.value).inc()
    return _answer(started, 201)


@router.get("/{verification_id}", response_model=VerificationOut, responses=_problems(401, 403, 404, 422, 503))
async def get(verification_id: VerificationId, key: Key, service: Served) -> Response:
    """The verification's status."""
    verifier = _verifier(service)
    await _owned(service, key, verification_id)
    found = await verifier.get(verification_id)
    if found is None:
        raise Problem(404, f"no verification {verification_id}", code=46001, field="verification_id")
    return _answer(found)


@router.post(
    "/{verification_id}/check", response_model=VerificationOut, responses=_problems(401, 403, 404, 422, 429, 503)
)
async def check(verification_id: VerificationId, body: CheckIn, key: Key, service: Served) -> Response:
    """``approved``, or 422 (code 46020) for any failure: a wrong, expired, used or locked code alike."""
    verifier = _verifier(service)
    await _owned(service, key, verification_id)
    try:
        checked: Verification = await verifier.check(verification_id, body.code, client=key.id)
    except VerificationFailed as failed:
        service.metrics.verifications.labels("check", "failed").inc()
        raise Problem(422, failed.message, code=failed.code, field="code") from None
    service.metrics.verifications.labels("check", checked.status.value).inc()
    return _answer(checked)


@router.post("/{verification_id}/cancel", response_model=VerificationOut, responses=_problems(401, 403, 404, 422, 503))
async def cancel(verification_id: VerificationId, key: Key, service: Served) -> Response:
    """Cancel a pending verification; its status afterwards."""
    verifier = _verifier(service)
    await _owned(service, key, verification_id)
    canceled = await verifier.cancel(verification_id)
    if canceled is None:
        raise Problem(404, f"no verification {verification_id}", code=46001, field="verification_id")
    service.metrics.verifications.labels("cancel", canceled.status.value).inc()
    return _answer(canceled)


@router.post(
    "/{verification_id}/resend", response_model=VerificationOut, responses=_problems(401, 403, 404, 422, 429, 503)
)
async def resend(verification_id: VerificationId, key: Key, service: Served) -> Response:
    """Send the same code again (after the cooldown, at most five sends in all)."""
    verifier = _verifier(service)
    await _owned(service, key, verification_id)
    sent: Verification = await verifier.resend(verification_id, client=key.id)
    service.metrics.verifications.labels("resend", sent.status.value).inc()
    return _answer(sent)
