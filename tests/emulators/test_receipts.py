"""Emulator receipt pushes: every new delivery once, in the provider's shape, to the URL given."""

import json

import pytest
from aiohttp import web

from smsgate import Gateway, Message
from smsgate.emulators import FakeServer, create, serve
from smsgate.emulators.receipts import ReceiptPusher, SnsSigner
from smsgate.receipts import PARSERS, parse_push

MESSAGE = Message(to=["+8613800138000", "+8613900139000"], template="100001", text="code ${c}", params={"c": "1"})
SETTINGS = {
    "aliyun": {"path_token": "t"},
    "tencent": {"path_token": "t"},
    "huawei": {"path_token": "t"},
    "twilio": {"auth_token": "twilio-auth-token-not-a-real-one"},
    "sns": {"certificate_url": r"^http://127\.0\.0\.1:\d+/"},
    "vonage": {"path_token": "t"},
}


@pytest.mark.parametrize("name", sorted(n for n, c in PARSERS.items() if c.pushes))  # providers that push
def test_each_new_delivery_is_pushed_once_and_parses(name):
    received = []

    async def sink(request):
        received.append(request)
        return web.Response(status=200)

    signer = SnsSigner()
    with serve(create(name)) as emulator, FakeServer(sink) as target, FakeServer(signer.handle) as certs:
        signer.server = certs
        with Gateway({name: emulator.settings()}) as gateway:
            assert gateway.send(MESSAGE).ok
        pusher = ReceiptPusher(emulator, f"{target.url}/receipts/{name}/t", status="failed", sns=signer)
        assert set(pusher.push_new()) == {200}
        assert pusher.push_new() == []
        reports = []
        for r in received:
            url = f"{target.url}{r.path}" + (f"?{r.raw_query}" if r.raw_query else "")
            settings = emulator.receipt_settings() if hasattr(emulator, "receipt_settings") else SETTINGS[name]
            reports += parse_push(name, r.method, url, r.headers, r.body, settings).reports
    assert sorted(report.phone for report in reports) == ["+8613800138000", "+8613900139000"]
    assert {report.status.value for report in reports} == {"failed"}


def test_aliyun_and_tencent_batch_their_receipts():
    received = []

    async def sink(request):
        received.append(json.loads(request.body))
        return web.json_response({"code": 0})

    with serve(create("aliyun")) as emulator, FakeServer(sink) as target:
        with Gateway({"aliyun": emulator.settings()}) as gateway:
            gateway.send(MESSAGE)
        ReceiptPusher(emulator, target.url + "/r").push_new()
    assert [len(batch) for batch in received] == [2]


def test_an_unknown_emulator_has_no_receipts():
    with pytest.raises(ValueError, match="no receipts"):
        ReceiptPusher(object(), "http://127.0.0.1:1/").outgoing([{}])
