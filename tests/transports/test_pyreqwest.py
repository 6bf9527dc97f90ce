import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web

pytest.importorskip("pyreqwest")

from smsgate import AsyncGateway, HttpRequest, Message, OutcomeUnknown, Unreachable
from smsgate.transports import PyreqwestSyncTransport, PyreqwestTransport
from tests.fakes.server import FakeServer
from tests.waits import await_until, wait_until


async def echo(request):
    return web.json_response(
        {"method": request.method, "body": request.body.decode(), "host": request.headers["host"]},
        headers={"X-Custom-Header": "yes"},
    )


async def redirect(request):
    return web.Response(status=302, headers={"Location": "/elsewhere"})


@pytest.fixture
def server():
    with FakeServer(echo) as running:
        yield running


@pytest.fixture
def stalled_port() -> Iterator[int]:
    """A loopback port whose accept queue is full, so a new connect hangs until its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))  # in progress: the handshake completes into the queue
        fillers.append(filler)
    time.sleep(0.05)
    yield port
    for filler in fillers:
        filler.close()
    listener.close()


# -- async -------------------------------------------------------------------------------------


async def test_sends_and_reads(server):
    async with PyreqwestTransport() as transport:
        response = await transport.handle_async_request(
            HttpRequest("POST", server.url + "/x?a=1", {"Host": "api.example"}, b"hi")
        )
    assert response.status == 200 and response.json() == {"method": "POST", "body": "hi", "host": "api.example"}
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-custom-header"] == "yes" and all(k == k.lower() for k in response.headers)
    assert server.requests[0].query == [("a", "1")]


async def test_redirects_are_not_followed():
    with FakeServer(redirect) as running:
        async with PyreqwestTransport() as transport:
            response = await transport.handle_async_request(HttpRequest("GET", running.url + "/"))
        assert response.status == 302 and response.headers["location"] == "/elsewhere"
        assert len(running.requests) == 1


async def test_connection_refused_is_unreachable(server):
    url = server.url
    server.stop()
    async with PyreqwestTransport() as transport:
        with pytest.raises(Unreachable, match="could not connect"):
            await transport.handle_async_request(HttpRequest("POST", url, body=b"x"))


async def test_tls_handshake_failure_is_unreachable(server):
    # an https request to a plain-HTTP server fails in the handshake, before any request is sent
    async with PyreqwestTransport() as transport:
        with pytest.raises(Unreachable):
            await transport.handle_async_request(HttpRequest("POST", server.url.replace("http:", "https:"), body=b"x"))
    assert server.requests == []


async def test_connect_timeout_is_unreachable(stalled_port):
    async with PyreqwestTransport() as transport:
        with pytest.raises(Unreachable, match="could not connect"):
            await transport.handle_async_request(
                HttpRequest("POST", f"http://127.0.0.1:{stalled_port}/", body=b"x", timeout=2.0, connect_timeout=0.2)
            )


async def test_invalid_url_is_unreachable():
    async with PyreqwestTransport() as transport:
        with pytest.raises(Unreachable):
            await transport.handle_async_request(HttpRequest("POST", "not a url"))


async def test_timeout_after_arrival_is_unknown(server):
    # pyreqwest itself calls this a ConnectTimeoutError; the request had arrived, so it is unknown
    server.fail_next(delay=30.0, after=True)
    async with PyreqwestTransport() as transport:
        with pytest.raises(OutcomeUnknown):
            await transport.handle_async_request(HttpRequest("POST", server.url, body=b"x", timeout=0.2))
    await await_until(lambda: len(server.requests) >= 1, what="the request to arrive")
    assert len(server.requests) == 1


async def test_reset_after_arrival_is_unknown(server):
    # pyreqwest itself calls this a ConnectError; the request had arrived, so it is unknown
    server.fail_next(reset=True, after=True)
    async with PyreqwestTransport() as transport:
        with pytest.raises(OutcomeUnknown):
            await transport.handle_async_request(HttpRequest("POST", server.url, body=b"x"))
    assert len(server.requests) == 1


async def test_many_in_flight_share_one_pool(server):
    async with PyreqwestTransport(limit=8) as transport:
        responses = await asyncio.gather(
            *(transport.handle_async_request(HttpRequest("GET", server.url)) for _ in range(50))
        )
        assert len(transport._clients) == 1
    assert {r.status for r in responses} == {200} and len(server.requests) == 50


async def test_proxy_is_used(server):
    # the fake answers whatever arrives, so it stands in for a proxy: the request line carries the full URL
    async with PyreqwestTransport() as transport:
        response = await transport.handle_async_request(HttpRequest("GET", "http://sms.example/x", proxy=server.url))
    assert response.status == 200 and server.requests[-1].headers["host"] == "sms.example"


async def test_aclose_releases_the_clients(server):
    transport = PyreqwestTransport()
    await transport.handle_async_request(HttpRequest("GET", server.url))
    await transport.handle_async_request(HttpRequest("GET", server.url, connect_timeout=1.0))
    assert len(transport._clients) == 2
    await transport.aclose()
    assert transport._clients == {}
    response = await transport.handle_async_request(HttpRequest("GET", server.url))  # reopens on demand
    await transport.aclose()
    assert response.status == 200


async def test_async_gateway_end_to_end(aliyun_server):
    async with AsyncGateway({"aliyun": aliyun_server.settings()}, transport=PyreqwestTransport()) as gateway:
        result = await gateway.send(Message(["13800138000", "13900139000"], template="SMS_1", params={"code": "1"}))
    assert result.ok, result.errors
    assert sorted(aliyun_server.phones()) == ["13800138000", "13900139000"]


# -- sync --------------------------------------------------------------------------------------


def test_sync_sends_and_reads(server):
    with PyreqwestSyncTransport() as transport:
        response = transport.handle_request(HttpRequest("POST", server.url + "/x?a=1", {"Host": "api.example"}, b"hi"))
    assert response.status == 200 and response.json() == {"method": "POST", "body": "hi", "host": "api.example"}
    assert response.headers["x-custom-header"] == "yes"
    assert server.requests[0].query == [("a", "1")]


def test_sync_redirects_are_not_followed():
    with FakeServer(redirect) as running, PyreqwestSyncTransport() as transport:
        response = transport.handle_request(HttpRequest("GET", running.url + "/"))
    assert response.status == 302 and len(running.requests) == 1


def test_sync_connection_refused_is_unreachable(server):
    url = server.url
    server.stop()
    with PyreqwestSyncTransport() as transport, pytest.raises(Unreachable, match="could not connect"):
        transport.handle_request(HttpRequest("POST", url, body=b"x"))


def test_sync_connect_timeout_is_unreachable(stalled_port):
    request = HttpRequest("POST", f"http://127.0.0.1:{stalled_port}/", body=b"x", timeout=2.0, connect_timeout=0.2)
    with PyreqwestSyncTransport() as transport, pytest.raises(Unreachable):
        transport.handle_request(request)


def test_sync_timeout_after_arrival_is_unknown(server):
    server.fail_next(delay=30.0, after=True)
    with PyreqwestSyncTransport() as transport, pytest.raises(OutcomeUnknown):
        transport.handle_request(HttpRequest("POST", server.url, body=b"x", timeout=0.2))
    wait_until(lambda: len(server.requests) >= 1, what="the request to arrive")
    assert len(server.requests) == 1


def test_sync_reset_after_arrival_is_unknown(server):
    server.fail_next(reset=True, after=True)
    with PyreqwestSyncTransport() as transport, pytest.raises(OutcomeUnknown):
        transport.handle_request(HttpRequest("POST", server.url, body=b"x"))
    assert len(server.requests) == 1


def test_sync_pool_is_shared_between_threads(server):
    statuses = []
    with PyreqwestSyncTransport(limit=4) as transport:
        threads = [
            threading.Thread(
                target=lambda: statuses.append(transport.handle_request(HttpRequest("GET", server.url)).status)
            )
            for _ in range(16)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(transport._clients) == 1
    assert statuses == [200] * 16


def test_sync_proxy_is_used(server):
    with PyreqwestSyncTransport() as transport:
        response = transport.handle_request(HttpRequest("GET", "http://sms.example/x", proxy=server.url))
    assert response.status == 200 and server.requests[-1].headers["host"] == "sms.example"
