"""``Authorization: Bearer <key>``: who is calling, for which tenant, with which scopes, how often."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ._keys import ApiKey
from ._problems import Problem
from ._service import Service

__all__ = ["require", "service_of"]

_bearer = HTTPBearer(auto_error=False, description="an API key made by `smsgate keys create`")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def require(scope: str) -> Callable[..., Awaitable[ApiKey]]:
    """A dependency answering the caller's key when it is live, has ``scope`` and is within its rate."""

    async def authorized(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        service: Annotated[Service, Depends(service_of)],
    ) -> ApiKey:
        if credentials is None:
            raise Problem(
                401,
                "an API key is required: Authorization: Bearer <key>",
                code=46004,
                rule="api_key",
                headers=_CHALLENGE,
            )
        key = await service.key(credentials.credentials)
        if key is None:
            raise Problem(401, "the API key is unknown or revoked", code=46004, rule="api_key", headers=_CHALLENGE)
        if not key.allows(scope):
            raise Problem(403, f"this key lacks the {scope!r} scope", code=46004, rule="scope")
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

    return authorized
