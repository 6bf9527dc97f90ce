import threading

import pytest
from aiohttp import web

from smsgate import HttpRequest, OutcomeUnknown, Unreachable, Urllib3Transport
from tests.fakes.server import FakeServer
from tests.waits import wait_until


async def echo(request):
    return web.json_response({"method": request.method, "body": request.body.decode(), "host": request.headers["host"]})


@pytest.fixture
def server():
    with FakeServer(echo) as running:
        yield running


def test_sends_and_reads(server):
    with Urllib3Transport() as transport:
        response = transport.handle_request(HttpRequest("POST", server.url + "/x?a=1", {"Host": "api.example"}, b"hi"))
    assert response.status == 200 and response.json() == {"method": "POST", "body": "hi", "host": "api.example"}
    assert server.requests[0].query == [("a", "1")]


def test_connection_refused_is_unreachable(server):
    url = server.url
    server.stop()
    with pytest.raises(Unreachable, match="could not connect"):
        Urllib3Transport().handle_request(HttpRequest("POST", url, body=b"x"))


def test_timeout_after_arrival_is_unknown(server):
    server.fail_next(delay=30.0, after=True)
    with pytest.raises(OutcomeUnknown):
        Urllib3Transport().handle_request(HttpRequest("POST", server.url, body=b"x", timeout=0.2))
    wait_until(lambda: len(server.requests) >= 1, what="the request to arrive")
    assert len(server.requests) == 1


def test_reset_after_arrival_is_unknown(server):
    server.fail_next(reset=True, after=True)
    with pytest.raises(OutcomeUnknown):
        Urllib3Transport().handle_request(HttpRequest("POST", server.url, body=b"x"))


def test_pool_is_shared_between_threads(server):
    transport = Urllib3Transport(maxsize=4)
    statuses = []
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
    assert statuses == [200] * 16


def test_proxy_is_used(server):
    # the fake answers whatever arrives, so it stands in for a proxy: the request line carries the full URL
    transport = Urllib3Transport()
    response = transport.handle_request(HttpRequest("GET", "http://sms.example/x", proxy=server.url))
    assert response.status == 200 and server.requests[-1].headers["host"] == "sms.example"
