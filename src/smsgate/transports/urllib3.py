"""The mature sync transport, on urllib3 (thread-safe pools; measured faster than httpx's).

The default when pyreqwest is not installed."""

from __future__ import annotations

import threading
from functools import lru_cache

import urllib3
from urllib3 import HTTPConnectionPool
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
from .._redact import filter_queries
from .base import Transport

__all__ = ["Urllib3Transport"]


@lru_cache(maxsize=64)
def _timeout(total: float, connect: float) -> urllib3.Timeout:
    return urllib3.Timeout(total=total, connect=connect)


class Urllib3Transport(Transport):
    """Pooled connections per host (and per proxy), safe to share between threads."""

    def __init__(self, *, maxsize: int = 32) -> None:
        filter_queries("urllib3.connectionpool", "urllib3.poolmanager")  # DEBUG lines show URLs
        self._maxsize = maxsize
        self._direct = urllib3.PoolManager(maxsize=maxsize, retries=False)
        self._proxies: dict[str, urllib3.ProxyManager] = {}
        self._origins: dict[str, HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def _origin_pool(self, url: str) -> tuple[HTTPConnectionPool, str]:
        """The pool for ``url``'s scheme://host:port and the path to request: skips the
        PoolManager's per-request URL parsing and pool lookup (a quarter of its CPU time)."""
        slash = url.find("/", url.find("://") + 3)
        origin, path = (url, "/") if slash < 0 else (url[:slash], url[slash:])
        pool = self._origins.get(origin)
        if pool is None:
            with self._lock:
                pool = self._origins.get(origin)
                if pool is None:
                    pool = urllib3.connection_from_url(origin, maxsize=self._maxsize, retries=False)
                    self._origins[origin] = pool
        return pool, path

    def _pool(self, proxy: str | None) -> urllib3.PoolManager:
        if proxy is None:
            return self._direct
        with self._lock:
            if proxy not in self._proxies:
                self._proxies[proxy] = urllib3.ProxyManager(proxy, maxsize=self._maxsize, retries=False)
            return self._proxies[proxy]

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        timeout = _timeout(request.timeout, request.connect_timeout)
        try:
            if request.proxy is None:
                pool, path = self._origin_pool(request.url)
                response = pool.urlopen(
                    request.method,
                    path,
                    body=request.body or None,
                    headers=dict(request.headers),
                    timeout=timeout,
                    retries=False,
                    redirect=False,
                    assert_same_host=False,
                )
            else:
                response = self._pool(request.proxy).request(
                    request.method,
                    request.url,
                    body=request.body or None,
                    headers=dict(request.headers),
                    timeout=timeout,
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
        with self._lock:
            origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            origin.close()
        self._direct.clear()
        for pool in self._proxies.values():
            pool.clear()
