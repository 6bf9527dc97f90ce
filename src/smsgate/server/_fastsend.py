"""``POST /v1/messages`` without the framework's per-request machinery, when nothing is unusual.

Profiled under load, FastAPI's dependency solving, body parsing and exception layers took about
a fifth of the service's CPU per send. This ASGI middleware answers the common request itself: a
JSON body that validates, a live key with the ``send`` scope and no request rate, an
``Idempotency-Key`` of at most 255 characters. It makes the same checks, calls the same
:func:`~._messages.send_answer` and answers a send's errors with the same problems. Anything else
(no key, a bad one, a body that does not validate, a rate to count) goes on to the route with the
body replayed, so every error is answered by the one code path that answers it.
"""

from __future__ import annotations

from types import SimpleNamespace

from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import SmsError
from ._keys import ApiKey
from ._messages import send_answer
from ._problems import Problem, problem_response, unexpected
from ._schemas import MessageIn
from ._service import Service

__all__ = ["FastSend"]

PATH = "/v1/messages"
_WANTED = {b"authorization", b"content-type", b"idempotency-key"}
_ROUTE = SimpleNamespace(path=PATH)


class FastSend:
    """The common ``POST /v1/messages`` answered in place; every other request passed on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the caller went away: the route sees it as it would
                await self.app(scope, _replay(chunks, receive, message), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not await self._answered(scope, body, send):
            await self.app(scope, _replay([body], receive, None), send)

    async def _answered(self, scope: Scope, body: bytes, send: Send) -> bool:
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                if name in headers:  # a repeated header: the route decides
                    return False
                headers[name] = value
        if headers.get(b"content-type", b"").split(b";")[0].strip().lower() != b"application/json":
            return False
        idempotency_key = headers[b"idempotency-key"].decode("latin-1") if b"idempotency-key" in headers else None
        if idempotency_key is not None and len(idempotency_key) > 255:
            return False
        service: Service = scope["app"].state.service
        key = await _key(service, headers.get(b"authorization", b"").decode("latin-1"))
        if key is None:
            return False
        try:
            message = MessageIn.model_validate_json(body)
        except ValidationError:
            return False
        scope["route"] = _ROUTE  # what the metrics middleware names the request by
        request = Request(scope)
        try:
            response = await send_answer(service, key, message, idempotency_key)
        except SmsError as exc:
            response = problem_response(Problem.of(exc), request)
        except Exception as exc:
            response = await unexpected(request, exc)
        await response(scope, _no_more, send)
        return True


async def _key(service: Service, authorization: str) -> ApiKey | None:
    """The caller's key when the route would accept it without counting a rate; else ``None``."""
    scheme, token = get_authorization_scheme_param(authorization)
    if scheme.lower() != "bearer" or not token:
        return None
    key = await service.key(token)
    return key if key is not None and key.allows("send") and key.rate is None else None


def _replay(chunks: list[bytes], receive: Receive, last: Message | None) -> Receive:
    """``receive`` that first gives back what was already read."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": last is not None}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def _no_more() -> Message:
    return {"type": "http.disconnect"}
