"""The receiving end of emulator pushes in tests: an HTTP endpoint handing requests to ``Receipts``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from smsgate.emulators.receipts import SnsSigner
from smsgate.emulators.server import FakeServer, Received
from smsgate.receipts import Receipts


@pytest.fixture
def sns_signer() -> Iterator[SnsSigner]:
    signer = SnsSigner()
    with FakeServer(signer.handle) as server:
        signer.server = server
        yield signer


# -- the receiving end: an HTTP endpoint that hands every request to Receipts -----------------------


@dataclass
class Endpoint:
    """A local HTTP server calling :meth:`Receipts.ahandle` for ``/receipts/<alias>/…``."""

    receipts: Receipts
    threaded: bool = False  # call the sync ``handle`` in a thread (stores whose async client is per loop)
    server: FakeServer | None = None
    answered: list[int] = field(default_factory=list)

    def url(self, alias: str, *rest: str) -> str:
        assert self.server is not None
        return "/".join([self.server.url, "receipts", alias, *rest])

    async def handle(self, request: Received) -> web.StreamResponse:
        alias = request.path.split("/")[2]
        assert self.server is not None
        url = self.server.url + request.path + (f"?{request.raw_query}" if request.raw_query else "")
        args = (alias, request.method, url, request.headers, request.body)
        if self.threaded:
            handled = await asyncio.to_thread(self.receipts.handle, *args)
        else:
            handled = await self.receipts.ahandle(*args)
        self.answered.append(handled.reply.status)
        return web.Response(
            status=handled.reply.status, body=handled.reply.body, headers={"Content-Type": handled.reply.content_type}
        )


@contextmanager
def serve_receipts(receipts: Receipts, *, threaded: bool = False) -> Iterator[Endpoint]:
    """An :class:`Endpoint` serving on 127.0.0.1 while in the block."""
    endpoint = Endpoint(receipts, threaded)
    with FakeServer(endpoint.handle) as server:
        endpoint.server = server
        yield endpoint
