import pytest, smsgate
from aiohttp import web
from tests.fakes.server import FakeServer
from smsgate import HttpRequest, Urllib3Transport, AiohttpTransport

async def ok(req): return web.json_response({"ok": True})

def test_harness():
    with FakeServer(ok) as s:
        t = Urllib3Transport()
        r = t.handle_request(HttpRequest("POST", s.url + "/x?a=1", body=b"hi"))
        assert r.status == 200 and r.json() == {"ok": True}
        s.fail_next(reset=True, after=True)
        with pytest.raises(smsgate.OutcomeUnknown): t.handle_request(HttpRequest("POST", s.url + "/x", body=b"hi"))
        s.fail_next(delay=1, after=True)
        with pytest.raises(smsgate.OutcomeUnknown): t.handle_request(HttpRequest("POST", s.url + "/x", body=b"hi", timeout=0.2))
        r = t.handle_request(HttpRequest("POST", s.url + "/x", body=b"hi"))
        assert r.status == 200
        port = s.port
    with pytest.raises(smsgate.Unreachable): t.handle_request(HttpRequest("POST", f"http://127.0.0.1:{port}/x", body=b"hi"))

async def test_harness_async():
    with FakeServer(ok) as s:
        t = AiohttpTransport()
        r = await t.handle_async_request(HttpRequest("POST", s.url + "/x?a=1", body=b"hi"))
        assert r.status == 200 and r.json() == {"ok": True}
        s.fail_next(reset=True, after=True)
        with pytest.raises(smsgate.OutcomeUnknown): await t.handle_async_request(HttpRequest("POST", s.url + "/x", body=b"hi"))
        s.fail_next(delay=1, after=True)
        with pytest.raises(smsgate.OutcomeUnknown): await t.handle_async_request(HttpRequest("POST", s.url + "/x", body=b"hi", timeout=0.2))
        port = s.port
    with pytest.raises(smsgate.Unreachable): await t.handle_async_request(HttpRequest("POST", f"http://127.0.0.1:{port}/x", body=b"hi"))
    await t.aclose()
