"""The mature async transport, on aiohttp (measured fastest of the mature asyncio clients).

The default when pyreqwest is not installed."""

from __future__ import annotations

import asyncio
from functools import lru_cache

import aiohttp

from .._errors import OutcomeUnknown, Unreachable
from .._http import HttpRequest, HttpResponse
from .base import AsyncTransport

__all__ = ["AiohttpTransport"]


@lru_cache(maxsize=64)
def _timeout(total: float, connect: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=total, sock_connect=connect)


class AiohttpTransport(AsyncTransport):
    """One pooled ``aiohttp.ClientSession``, opened on first use in the running loop.

    ``limit`` caps open connections in total; timeouts and proxy come from each request.
    """

    def __init__(self, *, limit: int = 100, session: aiohttp.ClientSession | None = None) -> None:
        self._limit = limit
        self._session = session
        self._owns_session = session is None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
        return self._session

    async def handle_async_request(self, request: HttpRequest) -> HttpResponse:
        session = self._open()
        try:
            async with session.request(
                request.method,
                request.url,
                data=request.body or None,
                headers=request.headers,
                timeout=_timeout(request.timeout, request.connect_timeout),
                proxy=request.proxy,
                allow_redirects=False,
            ) as response:
                body = await response.read()
                return HttpResponse(response.status, response.headers, body)  # case-insensitive already
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL) as exc:
            raise Unreachable(f"could not connect: {type(exc).__name__}") from exc
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise OutcomeUnknown(f"no response after sending: {type(exc).__name__}") from exc

    async def aclose(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
