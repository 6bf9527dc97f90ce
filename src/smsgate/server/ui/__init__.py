"""The web dashboard at ``/ui/``: server-rendered pages over the service's own records and keys.

An admin-scope API key signs in for a signed session cookie; every page shows only its tenant's
data. See ``docs/dashboard.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from . import _actions, _campaigns, _pages, _providers, _verifications
from ._render import Refused
from ._session import Sessions

__all__ = ["install"]


def install(app: FastAPI, secret: str | None = None, operator: str | None = None) -> None:
    """Serve the dashboard from ``app`` at ``/ui/``, signing sessions with ``secret``
    (``$SMSGATE_UI_SECRET``, else a random one per process); admin keys of the ``operator``
    tenant (``$SMSGATE_UI_OPERATOR``, else none) see every tenant."""
    app.state.ui_sessions = Sessions(secret)
    app.state.ui_operator = operator or os.environ.get("SMSGATE_UI_OPERATOR") or None
    app.include_router(_pages.router)
    app.include_router(_actions.router)
    app.include_router(_providers.router)
    app.include_router(_verifications.router)
    app.include_router(_campaigns.router)
    app.mount("/ui/static", StaticFiles(directory=Path(__file__).with_name("static")), name="ui-static")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return exc.response
