"""Login, logout and the messages pages: the tenant's messages, newest first, and one message's timeline."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ..._errors import InvalidPhone
from ..._phone import PhoneNumber
from .._records import CURSOR
from ._render import guard, page, service_of
from ._session import Sessions, same
from ._tenancy import shown_tenant, tenants

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
_LOGIN = "smsgate_ui_login"
STATUSES = ("pending", "accepted", "rejected", "failed", "unknown", "partial")


@router.get("/")
async def home(request: Request) -> Response:
    await guard(request)
    return RedirectResponse("/ui/messages", 303)


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _login(request, None, 200)


def _login(request: Request, problem: str | None, status: int) -> Response:
    token = secrets.token_urlsafe(24)  # login CSRF: a cookie and a hidden field that must match
    response = page(request, "login.html", None, {"csrf": token, "problem": problem}, status)
    response.set_cookie(_LOGIN, token, path="/ui", httponly=True, samesite="strict")
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    if not same(str(form.get("csrf") or ""), request.cookies.get(_LOGIN, "")):
        return _login(request, "the form expired: please try again", 403)
    key = await service_of(request).keys.acheck(str(form.get("key") or "").strip())
    if key is None:
        return _login(request, "that key is unknown or revoked", 401)
    if "admin" not in key.scopes:
        return _login(request, "only a key with the admin scope can sign in", 403)
    response = RedirectResponse("/ui/messages", 303)
    sessions: Sessions = request.app.state.ui_sessions
    sessions.start(response, request, key)
    response.delete_cookie(_LOGIN, path="/ui")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await guard(request, dict(await request.form()))
    response = RedirectResponse("/ui/login", 303)
    Sessions.end(response)
    return response


@router.get("/messages")
async def messages(
    request: Request,
    phone: str = "",
    status: str = "",
    provider: str = "",
    since: str = "",
    cursor: str = "",
    tenant: str = "",
) -> Response:
    session = await guard(request)
    service = service_of(request)
    shown = shown_tenant(request, session, tenant)
    filters = {"phone": phone, "status": status, "provider": provider, "since": since, "tenant": shown}
    problem, e164, after = None, None, None
    try:
        if phone.strip():
            e164 = PhoneNumber.parse(phone.strip(), service.gateway.default_region).e164
        if since.strip():
            moment = datetime.fromisoformat(since.strip())
            after = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    except InvalidPhone as exc:
        problem = f"phone: {exc.message}"
    except ValueError:
        problem = "since: a date and time such as 2026-01-31T08:00"
    items: list[dict[str, Any]] = []
    next_cursor = None
    if problem is None:
        result = await service.records.page(
            shown,
            phone=e164,
            status=status if status in STATUSES else None,
            since=after,
            cursor=cursor if re.fullmatch(CURSOR, cursor) else None,
            limit=50,
        )
        items = [m for m in result.items if not provider or any(r["provider"] == provider for r in m["recipients"])]
        next_cursor = result.next_cursor
    context = {
        "items": items,
        "filters": filters,
        "statuses": STATUSES,
        "providers": sorted(service.gateway.providers),
        "problem": problem,
        "next_cursor": next_cursor,
        "tenant": shown,
        "tenants": await tenants(request, session),
    }
    return page(request, "messages.html", session, context, 422 if problem else 200)


@router.get("/messages/{message_id}")
async def message(request: Request, message_id: str, tenant: str = "") -> Response:
    session = await guard(request)
    service = service_of(request)
    shown = shown_tenant(request, session, tenant)
    view = None
    if len(message_id) == 32 and all(c in "0123456789abcdef" for c in message_id):
        view = await service.records.get(shown, message_id)
    if view is None:
        return page(request, "error.html", session, {"problem": "no such message"}, 404)
    reports = await service.records.send_log.areports(message_id=message_id)
    timeline = [
        _event(a["created_at"], f"try {a['number']}", a["provider"], a["status"], a["phones"], error_text(a["error"]))
        for a in view["attempts"]
    ] + [
        _event(
            r.received_at,
            "receipt",
            r.provider,
            r.status.value,
            [r.phone],
            _receipt_error(r.provider_status, r.error_code),
        )
        for r in reports
    ]
    timeline.sort(key=lambda e: e["at"] or 0)
    return page(request, "message.html", session, {"message": view, "timeline": timeline})


def _event(at: float, what: str, provider: str | None, outcome: str, phones: list[str], error: str) -> dict[str, Any]:
    return {"at": at, "what": what, "provider": provider, "outcome": outcome, "phones": phones, "error": error}


def error_text(error: dict[str, Any] | None) -> str:
    """An error's code and message, as recorded in the send log."""
    if not error:
        return ""
    keys = ("category", "message", "provider_code", "provider_message")
    return " ".join(str(error[k]) for k in keys if error.get(k) is not None)


def _receipt_error(provider_status: str, error_code: str | None) -> str:
    return f"{provider_status} {error_code}" if error_code else ""
