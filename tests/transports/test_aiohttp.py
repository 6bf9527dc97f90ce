import asyncio

import pytest
from aiohttp import web

from smsgate import AiohttpTransport, HttpRequest, OutcomeUnknown, Unreachable
from tests.fakes.server import FakeServer
from tests.waits import await_until


async def echo(request):
    return web.json_response({"body": request.body.decode(), "host": request.headers["host"]})


@pytest.fixture
def server():
    with FakeServer(echo) as running:
        yield running


async def test_sends_and_reads(server):
    async with AiohttpTransport() as transport:
        response = await transport.handle_async_request(
            HttpRequest("POST", server.url + "/", {"Host": "api.example"}, b"hi")
        )
    assert response.status == 200 and response.json() == {"body": "hi", "host": "api.example"}
    assert response.headers["content-type"].startswith("application/json")


async def test_connection_refused_is_unreachable(server):
    url = server.url
    server.stop()
    async with AiohttpTransport() as transport:
        with pytest.raises(Unreachable):
            await transport.handle_async_request(HttpRequest("POST", url, body=b"x"))


async def test_timeout_after_arrival_is_unknown(server):
    server.fail_next(delay=30.0, after=True)
    async with AiohttpTransport() as transport:
        with pytest.raises(OutcomeUnknown):
            await transport.handle_async_request(HttpRequest("POST", server.url, body=b"x", timeout=0.2))
    await await_until(lambda: len(server.requests) >= 1, what="the request to arrive")
    assert len(server.requests) == 1


async def test_reset_after_arrival_is_unknown(server):
    server.fail_next(reset=True, after=True)
    async with AiohttpTransport() as transport:
        with pytest.raises(OutcomeUnknown):
            await transport.handle_async_request(HttpRequest("POST", server.url, body=b"x"))


async def test_many_in_flight_share_one_pool(server):
    async with AiohttpTransport(limit=8) as transport:
        responses = await asyncio.gather(
            *(transport.handle_async_request(HttpRequest("GET", server.url)) for _ in range(50))
        )
    assert {r.status for r in responses} == {200} and len(server.requests) == 50
