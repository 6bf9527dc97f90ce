"""``/v1/messages``: send, look one up, list the tenant's messages."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query
from starlette.responses import Response

from .._errors import InvalidPhone
from .._phone import PhoneNumber
from ._auth import require, service_of
from ._keys import ApiKey
from ._problems import MEDIA_TYPE, Problem
from ._records import CURSOR
from ._schemas import MessageIn, MessageOut, MessagePage, ProblemOut, SendOut
from ._service import Service

__all__ = ["router", "send_answer"]


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ProblemOut, "content": {MEDIA_TYPE: {}}} for s in statuses}


router = APIRouter(prefix="/v1/messages", tags=["messages"])
MessageId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="smsgate's message id")]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


@router.post("", response_model=SendOut, responses=_problems(400, 401, 403, 409, 422, 429))
async def send_message(
    body: MessageIn,
    key: Annotated[ApiKey, Depends(require("send"))],
    service: Annotated[Service, Depends(service_of)],
    idempotency_key: Annotated[
        str | None,
        Header(max_length=255, description="a resend with the same key returns the first result, sending nothing"),
    ] = None,
) -> Response:
    """Send one message; the result has a line per recipient (``ok`` when every one was accepted)."""
    return await send_answer(service, key, body, idempotency_key)


async def send_answer(service: Service, key: ApiKey, body: MessageIn, idempotency_key: str | None) -> Response:
    """Send ``body`` for ``key``'s tenant; the answer (errors are raised, as :class:`~smsgate.SmsError`)."""
    scoped = f"{key.tenant}:{idempotency_key}" if idempotency_key else None
    result = await service.send(key.tenant, body.message(scoped), body.providers)
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return _json(result.to_dict(), headers=headers)


@router.get("/{message_id}", response_model=MessageOut, responses=_problems(401, 403, 404, 422, 429))
async def get_message(
    message_id: MessageId,
    key: Annotated[ApiKey, Depends(require("read"))],
    service: Annotated[Service, Depends(service_of)],
) -> Response:
    """One message: its recipients, every request made for it, and delivery status."""
    view = await service.records.get(key.tenant, message_id)
    if view is None:
        raise Problem(404, f"no message {message_id}", code=46001, field="message_id")
    return _json(view)


Status = Literal["pending", "accepted", "rejected", "failed", "unknown", "partial"]


@router.get("", response_model=MessagePage, responses=_problems(401, 403, 422, 429))
async def list_messages(
    key: Annotated[ApiKey, Depends(require("read"))],
    service: Annotated[Service, Depends(service_of)],
    phone: Annotated[str | None, Query(max_length=32, description="only messages to this phone")] = None,
    status: Annotated[Status | None, Query(description="only messages with this status (mixed: partial)")] = None,
    since: Annotated[datetime | None, Query(description="only messages created at or after this time")] = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR, description="next_cursor of a previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """The tenant's messages, newest first, a page at a time."""
    e164 = None
    if phone is not None:
        try:
            e164 = PhoneNumber.parse(phone, service.gateway.default_region).e164
        except InvalidPhone as exc:
            raise Problem(422, exc.message, code=exc.code, field="phone") from None
    after = None
    if since is not None:
        after = (since if since.tzinfo else since.replace(tzinfo=timezone.utc)).timestamp()
    page = await service.records.page(key.tenant, phone=e164, status=status, since=after, cursor=cursor, limit=limit)
    return _json({"items": page.items, "next_cursor": page.next_cursor})
