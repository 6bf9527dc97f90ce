"""A transport that hands every request to a function: the seam for tests."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from .._http import HttpRequest, HttpResponse
from .base import AsyncTransport, Transport

__all__ = ["MockTransport"]

Handler = Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]


class MockTransport(Transport, AsyncTransport):
    """Answers each request with ``handler(request)``; works for both gateways.

    ``requests`` keeps every request seen, in order. The handler may raise smsgate errors to
    simulate connect failures or timeouts.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[HttpRequest] = []

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        response = self.handler(request)
        if inspect.isawaitable(response):
            if inspect.iscoroutine(response):
                response.close()
            raise TypeError("MockTransport: an async handler cannot serve the sync gateway")
        return response

    async def handle_async_request(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        response = self.handler(request)
        if inspect.isawaitable(response):
            response = await response
        return response
