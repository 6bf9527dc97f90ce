"""Templates (autoescaped Jinja2) and the guard every dashboard page goes through."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from .._service import Service
from ._session import Session, Sessions, same

__all__ = ["Refused", "guard", "page", "templates"]

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))  # autoescapes .html


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


templates.env.filters["when"] = _when


class Refused(Exception):
    """Raised by :func:`guard`; answered with ``response``."""

    def __init__(self, response: Response) -> None:
        self.response = response


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


async def guard(request: Request, form: dict[str, Any] | None = None) -> Session:
    """The request's session, else :class:`Refused` (to the login page); on a POST the form's CSRF token must match."""
    sessions: Sessions = request.app.state.ui_sessions
    session = await sessions.of(request, service_of(request))
    if session is None:
        raise Refused(RedirectResponse("/ui/login", 303))
    if form is not None and not same(form.get("csrf"), session.csrf):
        problem = {"problem": "the form's CSRF token is missing or wrong: reload the page and try again"}
        raise Refused(page(request, "error.html", session, problem, 403))
    return session


def page(request: Request, name: str, session: Session | None, context: dict[str, Any], status: int = 200) -> Response:
    """Render template ``name`` with the session's tenant and CSRF token."""
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Content-Security-Policy": _CSP}
    return templates.TemplateResponse(
        request, name, {"session": session, "csrf": session.csrf if session else "", **context}, status, headers
    )


_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
