"""Send a test message, and the tenant's keys: create (shown once), list (prefix only), revoke."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from ..._errors import InvalidRequest, SmsError
from .._keys import SCOPES, ApiKey
from .._schemas import MessageIn
from ._render import guard, page, service_of
from ._tenancy import all_keys

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/send")
async def send_form(request: Request) -> Response:
    session = await guard(request)
    return page(request, "send.html", session, _send_context(request, {}))


@router.post("/send")
async def send(request: Request) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    session = await guard(request, form)
    context = _send_context(request, form)
    try:
        params = dict(_param(line) for line in form.get("params", "").splitlines() if line.strip())
        body = MessageIn(
            to=[p.strip() for p in form.get("to", "").replace(",", "\n").splitlines() if p.strip()],
            template=form.get("template") or None,
            text=form.get("text") or None,
            params=params,
            providers=[form["provider"]] if form.get("provider") else None,
        )
        result = await service_of(request).send(session.tenant, body.message(None), body.providers)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in exc.errors()]
        return page(request, "send.html", session, {**context, "problem": "; ".join(problems)}, 422)
    except (InvalidRequest, SmsError) as exc:
        return page(request, "send.html", session, {**context, "problem": exc.message}, 422)
    return page(request, "send.html", session, {**context, "result": result.to_dict()})


def _param(line: str) -> tuple[str, str]:
    name, sep, value = line.partition("=")
    if not sep or not name.strip():
        raise InvalidRequest(f"params: each line is name=value; got {line[:40]!r}", field="params")
    return name.strip(), value.strip()


def _send_context(request: Request, form: dict[str, str]) -> dict[str, Any]:
    return {"form": form, "providers": sorted(service_of(request).gateway.providers), "result": None, "problem": None}


async def _tenant_keys(request: Request, tenant: str) -> list[ApiKey]:
    return [k for k in await all_keys(request) if k.tenant == tenant]


async def _keys_page(
    request: Request, session: Any, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    keys = await _tenant_keys(request, session.tenant)
    context = {"keys": keys, "scopes": SCOPES, "token": None, "problem": None, **(extra or {})}
    return page(request, "keys.html", session, context, status)


@router.get("/keys")
async def keys(request: Request) -> Response:
    return await _keys_page(request, await guard(request))


@router.post("/keys")
async def create_key(request: Request) -> Response:
    form = await request.form()
    session = await guard(request, {"csrf": form.get("csrf")})
    rate = str(form.get("rate") or "").strip()
    try:
        if rate and not rate.isdigit():
            raise InvalidRequest("rate must be a whole number of requests a minute", field="rate")
        scopes = [str(s) for s in form.getlist("scope")]
        made = await run_in_threadpool(
            service_of(request).keys.create, session.tenant, scopes, int(rate) if rate else None
        )
    except InvalidRequest as exc:
        return await _keys_page(request, session, {"problem": f"{exc.field}: {exc.message}"}, 422)
    return await _keys_page(request, session, {"token": made.token, "made": made.key})


@router.post("/keys/{key_id}/revoke")
async def revoke_key(request: Request, key_id: str) -> Response:
    session = await guard(request, dict(await request.form()))
    mine = {k.id for k in await _tenant_keys(request, session.tenant)}
    if key_id not in mine:
        return page(request, "error.html", session, {"problem": "no such key"}, 404)
    await run_in_threadpool(service_of(request).keys.revoke, key_id)
    return RedirectResponse("/ui/keys", 303)
