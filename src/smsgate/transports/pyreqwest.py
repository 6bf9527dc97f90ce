"""Transports on pyreqwest (Rust reqwest/hyper): ``pip install 'smsgate[pyreqwest]'``.

The defaults when installed (see :mod:`smsgate.transports.defaults`).

Importing this module does not import pyreqwest; building a transport does (and raises
``ImportError`` naming the extra when it is missing).

pyreqwest sets the proxy and the connect timeout per client, not per request, so each transport
keeps one pooled client per ``(proxy, connect_timeout, timeout)`` seen in requests (in practice one
per provider configuration), with the total timeout set on the client too.

pyreqwest's exception classes do not tell "never sent" from "may have arrived": a read timeout
after the request was written surfaces as ``ConnectTimeoutError`` and a reset after it as
``ConnectError``. So the verdict comes from the cause chain instead: only a failure of hyper's
connect step (TCP connect, DNS, TLS handshake, proxy tunnel, the connect timeout), which hyper
reports as ``client error (Connect)``, is :class:`~smsgate.Unreachable`; every other failure is
:class:`~smsgate.OutcomeUnknown`. That includes the request's total timeout running out while still
connecting (when ``timeout`` <= ``connect_timeout``): reported as unknown, the safe side.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from .._errors import OutcomeUnknown, RequestFailed, Unreachable
from .._http import HttpRequest, HttpResponse
from .base import AsyncTransport, Transport

if TYPE_CHECKING:
    from pyreqwest.client import BaseClientBuilder, Client, SyncClient
    from pyreqwest.request import BaseRequestBuilder

__all__ = ["PyreqwestSyncTransport", "PyreqwestTransport"]

_CONNECT_FAILED = "client error (Connect)"  # hyper-util's Display for a connector failure


def _require() -> type[Exception]:
    """Import pyreqwest (lazily, on first use) and return its base request error."""
    try:
        from pyreqwest.exceptions import RequestError
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the pyreqwest transports need pyreqwest: pip install 'smsgate[pyreqwest]'") from exc
    return RequestError


@lru_cache(maxsize=64)
def _delta(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


_Builder = TypeVar("_Builder", bound="BaseRequestBuilder")


def _prepare(builder: _Builder, request: HttpRequest) -> _Builder:
    if request.headers:
        builder.headers(request.headers)
    if request.body:
        builder.body_bytes(request.body)
    return builder


def _not_sent(exc: ValueError) -> Unreachable:
    """An unparseable URL, proxy or header (reqwest reports some only on send): nothing was sent."""
    return Unreachable(f"could not build the request: {type(exc).__name__}")


_Key = tuple[str | None, float, float]


def _configure(builder: BaseClientBuilder, key: _Key, limit: int | None) -> None:
    from pyreqwest.proxy import ProxyBuilder

    proxy, connect_timeout, timeout = key
    builder.follow_redirects(False).connect_timeout(_delta(connect_timeout)).timeout(_delta(timeout))
    builder.max_connections(limit)
    if proxy is None:
        builder.no_proxy()  # ignore HTTP(S)_PROXY from the environment, as the other transports do
    else:
        builder.proxy(ProxyBuilder.all(proxy))


def _classify(exc: Exception) -> RequestFailed:
    """Unreachable when hyper's connect step failed; otherwise the request may have arrived."""
    details: Any = getattr(exc, "details", None)
    causes = [str(c.get("message", "")) for c in (details or {}).get("causes") or ()]
    last = f" ({causes[-1]})" if causes and "://" not in causes[-1] else ""
    if any(c.startswith(_CONNECT_FAILED) for c in causes):
        return Unreachable(f"could not connect: {type(exc).__name__}{last}")
    return OutcomeUnknown(f"no response after sending: {type(exc).__name__}{last}")


class PyreqwestTransport(AsyncTransport):
    """Async transport on ``pyreqwest.client.Client``; pooled connections, no redirects followed.

    ``limit`` caps requests in flight per client (``None``: no cap); ``multithreaded`` runs the
    client on a multi-threaded Tokio runtime instead of pyreqwest's default single thread.
    """

    def __init__(self, *, limit: int | None = 100, multithreaded: bool = False) -> None:
        self._error = _require()
        self._limit = limit
        self._multithreaded = multithreaded
        self._clients: dict[_Key, Client] = {}

    def _open(self, key: _Key) -> Client:
        from pyreqwest.client import ClientBuilder

        builder = ClientBuilder()
        _configure(builder, key, self._limit)
        if self._multithreaded:
            builder.runtime_multithreaded(True)
        client = self._clients[key] = builder.build()
        return client

    async def handle_async_request(self, request: HttpRequest) -> HttpResponse:
        key = request.proxy, request.connect_timeout, request.timeout
        try:
            client = self._clients.get(key) or self._open(key)
            prepared = _prepare(client.request(request.method, request.url), request).build()
            response = await prepared.send()
            body = await response.bytes()
        except self._error as exc:
            raise _classify(exc) from exc
        except ValueError as exc:
            raise _not_sent(exc) from exc
        # hyper's header map kept as it is (case-insensitive, lower-case names): copying it into a
        # dict costs more than the rest of reading the response
        return HttpResponse(response.status, response.headers, body.to_bytes())

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()


class PyreqwestSyncTransport(Transport):
    """Blocking transport on ``pyreqwest.client.SyncClient``; safe to share between threads.

    ``limit`` caps requests in flight per client (``None``: no cap).
    """

    def __init__(self, *, limit: int | None = None) -> None:
        self._error = _require()
        self._limit = limit
        self._clients: dict[_Key, SyncClient] = {}
        self._lock = threading.Lock()

    def _open(self, key: _Key) -> SyncClient:
        from pyreqwest.client import SyncClientBuilder

        with self._lock:
            client = self._clients.get(key)
            if client is None:
                builder = SyncClientBuilder()
                _configure(builder, key, self._limit)
                client = self._clients[key] = builder.build()
            return client

    def handle_request(self, request: HttpRequest) -> HttpResponse:
        key = request.proxy, request.connect_timeout, request.timeout
        try:
            client = self._clients.get(key) or self._open(key)
            prepared = _prepare(client.request(request.method, request.url), request).build()
            response = prepared.send()
            body = response.bytes()
        except self._error as exc:
            raise _classify(exc) from exc
        except ValueError as exc:
            raise _not_sent(exc) from exc
        # hyper's header map kept as it is (case-insensitive, lower-case names): copying it into a
        # dict costs more than the rest of reading the response
        return HttpResponse(response.status, response.headers, body.to_bytes())

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
