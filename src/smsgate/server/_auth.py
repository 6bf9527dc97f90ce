"""``Authorization: Bearer <key>``: who is calling, for which tenant, with which scopes, how often.

Each scope's check is one flat dependency (a bearer scheme that reads the header itself), so a
request pays for one dependency, not a tree of them, and ``/openapi.json`` still names the scheme.
"""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import HTTPConnection

from ._keys import ApiKey
from ._problems import Problem
from ._service import Service

__all__ = ["require", "service_of"]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


class _KeyWithScope(HTTPBearer):
    """The caller's key when it is live, has ``scope`` and is within its rate; else a problem."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            auto_error=False, scheme_name="HTTPBearer", description="an API key made by `smsgate keys create`"
        )
        self.scope = scope

    async def __call__(self, request: HTTPConnection) -> ApiKey:  # type: ignore[override]
        scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
        if scheme.lower() != "bearer" or not token:
            raise Problem(
                401,
                "an API key is required: Authorization: Bearer <key>",
                code=46004,
                rule="api_key",
                headers=_CHALLENGE,
            )
        service: Service = request.app.state.service
        key = await service.key(token)
        if key is None:
            raise Problem(401, "the API key is unknown or revoked", code=46004, rule="api_key", headers=_CHALLENGE)
        if not key.allows(self.scope):
            raise Problem(403, f"this key lacks the {self.scope!r} scope", code=46004, rule="scope")
        if key.rate is not None:
            now = time.time()
            window = (f"keyrate:{key.id}:{int(now // 60)}", key.rate, 61.0)
            if await service.store.ahit([window]) is not None:
                wait = str(int(60 - now % 60) + 1)
                raise Problem(
                    429,
                    f"this key's rate of {key.rate} requests a minute is used up",
                    code=46004,
                    rule="key_rate",
                    headers={"Retry-After": wait},
                )
        return key


def require(scope: str) -> _KeyWithScope:
    """A dependency answering the caller's key when it is live, has ``scope`` and is within its rate."""
    return _KeyWithScope(scope)
