"""The default sync transport, on urllib3 (thread-safe pools; measured faster than httpx's)."""

from __future__ import annotations

import threading

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ProxyError,
    SSLError,
)

from .._errors import OutcomeUnknown, Unreachable
from .._http import HttpRequest, HttpResponse
from .base import Transport

__all__ = ["Urllib3Transport"]


class Urllib3Transport(Transport):
    """Pooled connections per host (and per proxy), safe to share between threads."""

    def __init__(self, *, maxsize: int = 32) -> None:
        self._maxsize = maxsize
        self._direct = urllib3.PoolManager(maxsize=maxsize, retries=False)
        self._proxies: dict[str, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()

    def _pool(self, proxy: str | None) -> urllib3.PoolManager:
        if proxy is None:
            return self._direct
        with self._lock:
            if proxy not in self._proxies:
                self._proxies[proxy] = urllib3.ProxyManager(proxy, maxsize=self._maxsize, retries=False)
            return self._proxies[proxy]

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self._pool(request.proxy).request(
                request.method,
                request.url,
                body=request.body or None,
                headers=dict(request.headers),
                timeout=urllib3.Timeout(total=request.timeout, connect=request.connect_timeout),
                retries=False,
                redirect=False,
            )
        except (NewConnectionError, ConnectTimeoutError, ProxyError, SSLError, LocationParseError) as exc:
            raise Unreachable(f"could not connect: {type(exc).__name__}") from exc
        except HTTPError as exc:
            raise OutcomeUnknown(f"no response after sending: {type(exc).__name__}") from exc
        headers = {k.lower(): v for k, v in response.headers.items()}
        return HttpResponse(response.status, headers, response.data)

    def close(self) -> None:
        self._direct.clear()
        for pool in self._proxies.values():
            pool.clear()
