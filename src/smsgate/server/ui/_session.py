"""The dashboard's session: an admin key exchanged for a signed cookie, and a CSRF token per session.

The cookie holds the key's public id, its tenant and the session's CSRF token, signed with
``itsdangerous`` under ``$SMSGATE_UI_SECRET`` (a random secret per process when unset: sessions
then end when the process restarts). Never the key's secret. Every request reads the key again, so
revoking it, or taking away its admin scope, ends its sessions.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from .._keys import ApiKey
from .._service import Service

__all__ = ["COOKIE", "MAX_AGE", "Session", "Sessions"]

COOKIE = "smsgate_ui"
MAX_AGE = 8 * 3600  # seconds


@dataclass(frozen=True)
class Session:
    key: ApiKey
    csrf: str = ""

    @property
    def tenant(self) -> str:
        return self.key.tenant


class Sessions:
    """Signs and checks session cookies with ``secret`` (``$SMSGATE_UI_SECRET`` when ``None``)."""

    def __init__(self, secret: str | None = None) -> None:
        secret = secret or os.environ.get("SMSGATE_UI_SECRET") or secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="smsgate-ui-session")

    def start(self, response: Response, request: Request, key: ApiKey) -> None:
        """Set a new session for ``key`` on ``response``."""
        value = self._signer.dumps({"k": key.id, "c": secrets.token_urlsafe(24)})
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE,
            path="/ui",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    @staticmethod
    def end(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/ui")

    async def of(self, request: Request, service: Service) -> Session | None:
        """The session of ``request`` when its cookie is valid and its key still live and admin."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        try:
            data = self._signer.loads(cookie, max_age=MAX_AGE)
            key_id, csrf = str(data["k"]), str(data["c"])
        except (BadSignature, KeyError, TypeError):
            return None
        found = await service.store.aget(f"apikey:{key_id}") if key_id.isalnum() else None
        if found is None:
            return None
        key = ApiKey.from_json(found)
        if key.revoked_at is not None or "admin" not in key.scopes:
            return None
        return Session(key, csrf)


def same(given: str | None, expected: str) -> bool:
    """Whether a submitted CSRF token is the expected one (in constant time)."""
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), expected)
