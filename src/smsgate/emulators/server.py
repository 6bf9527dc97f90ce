"""A real HTTP server (127.0.0.1 by default) for provider emulators, with fault injection.

Each emulator is an aiohttp handler ``async def handle(received) -> web.Response``;
:class:`FakeServer` runs it in a background thread with its own event loop, records every request
that arrives, and can be told to misbehave:

* ``fail_next(status=429, json={...})``: answer without processing (nothing delivered);
* ``fail_next(delay=2.0, after=True)``: process (delivered), then stall past the client's timeout;
* ``fail_next(reset=True, after=True)``: process, then drop the connection without an answer.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Handler = Callable[["Received"], Awaitable[web.StreamResponse]]


@dataclass
class Received:
    """A request as the fake saw it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    raw_query: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Fault:
    status: int | None = None
    json: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False
    after: bool = False  # process the request first (it counts as delivered), then misbehave
    times: int = 1


class FakeServer:
    """Serves ``handler`` on ``host:port`` (127.0.0.1, a free port) while used as a context manager.

    ``on_request``, when set, is called with each request after the handler answered it.
    """

    def __init__(self, handler: Handler, *, max_line_size: int = 8190, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.max_line_size = max_line_size
        self.host = host
        self.on_request: Callable[[Received], None] | None = None
        self.requests: list[Received] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def endpoint(self) -> str:
        """``host:port``, the form provider settings take."""
        return f"{self.host}:{self.port}"

    def fail_next(self, **fault: Any) -> None:
        with self._lock:
            self._faults.append(Fault(**fault))

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            return fault

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        received = Received(
            method=request.method,
            path=request.path,
            query=list(request.query.items()),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            raw_query=request.rel_url.raw_query_string,
        )
        with self._lock:
            self.requests.append(received)
        fault = self._take_fault()
        if fault is not None and not fault.after:
            return await self._misbehave(request, fault)
        response = await self.handler(received)
        if self.on_request is not None:
            self.on_request(received)
        if fault is not None:
            return await self._misbehave(request, fault)
        return response

    async def _misbehave(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.delay:
            await _stall(request, fault.delay)
        if fault.reset:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if fault.json is not None:
            return web.json_response(fault.json, status=fault.status or 500, headers=fault.headers)
        return web.Response(status=fault.status or 500, text=fault.text or "", headers=fault.headers)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        except BaseException:
            self.stop()
            raise
        return self

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, max_line_size=self.max_line_size)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving (the port then refuses connections); safe to call twice."""
        if self._loop.is_closed():
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _stall(request: web.Request, seconds: float) -> None:
    """Wait ``seconds``, or less once the client has hung up (it timed out: nobody is left to answer)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        if request.transport is None or request.transport.is_closing():
            return
        await asyncio.sleep(0.01)
