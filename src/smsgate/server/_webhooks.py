"""``/v1/webhooks/{provider}/{account}[/{token}]``: delivery receipts and inbound messages pushed
by providers, checked and recorded by ``Receipts``, answered the way each provider expects.

``account`` is the provider's name in the config (``[providers.<account>]``) and ``provider`` its
type; ``token`` is the secret path token of providers that do not sign their pushes (set in
``[receipts.<account>]``). No API key: each push is checked as its provider signs it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ._auth import service_of
from ._problems import MEDIA_TYPE, Problem
from ._schemas import ProblemOut
from ._service import Service

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "recorded (or seen before)",
        "content": {"application/json": {}, "text/xml": {}, "text/plain": {}},
    },
    204: {"description": "recorded (or seen before)"},
    400: {"description": "not a push this provider sends", "content": {"text/plain": {}}},
    403: {"description": "not authentic", "content": {"text/plain": {}}},
    404: {"description": "no such provider account", "model": ProblemOut, "content": {MEDIA_TYPE: {}}},
    503: {"description": "not recorded: push it again", "content": {"text/plain": {}}},
}


async def _push(request: Request, provider: str, account: str, service: Service) -> Response:
    configured = service.gateway.providers.get(account)
    if (
        service.receipts is None
        or configured is None
        or configured.name != provider
        or account not in service.receipts.parsers
    ):
        raise Problem(404, f"no receipts for {provider}/{account}", code=46001, field="account")
    body = await request.body()
    handled = await service.receipts.ahandle(account, request.method, str(request.url), request.headers, body)
    if handled.push is not None:
        for report in handled.push.reports:
            service.metrics.receipts.labels(account, "report", report.status.value).inc()
        for _ in handled.push.inbound:
            service.metrics.receipts.labels(account, "inbound", "received").inc()
    elif handled.error is not None:
        service.metrics.receipts.labels(account, "refused", str(handled.reply.status)).inc()
    reply = handled.reply
    return Response(reply.body, reply.status, media_type=reply.content_type)


Served = Annotated[Service, Depends(service_of)]


async def push(request: Request, provider: str, account: str, service: Served) -> Response:
    """A push from a provider that signs its requests (Twilio, Vonage, Huawei, SNS)."""
    return await _push(request, provider, account, service)


async def push_with_token(request: Request, provider: str, account: str, token: str, service: Served) -> Response:
    """A push carrying the account's secret path token (Aliyun, Tencent, or any provider set so)."""
    return await _push(request, provider, account, service)


for _method in ("POST", "GET"):  # Vonage may push with GET; the others POST
    for _path, _endpoint in (("/{provider}/{account}", push), ("/{provider}/{account}/{token}", push_with_token)):
        router.add_api_route(
            _path,
            _endpoint,
            methods=[_method],
            responses=_ANSWERS,
            response_class=Response,
            operation_id=f"{_endpoint.__name__}_{_method.lower()}",
        )
