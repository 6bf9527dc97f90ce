"""Send through each emulator, get its receipt pushed to a local endpoint (or pull it), and find the
phone *delivered* in the send log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smsgate import AsyncGateway, DeliveryStatus, Gateway, Message, Store
from smsgate.emulators import create, serve
from smsgate.emulators.receipts import ReceiptPusher, SnsSigner
from smsgate.receipts import Receipts
from tests.fakes.receipts import serve_receipts

PHONE = "+8613800138000"
MESSAGE = Message(to=[PHONE], template="100001", text="Your code is ${code}", params={"code": "4821"})
TOKEN = "tok3n"
RECEIPTS: dict[str, dict[str, Any]] = {
    "aliyun": {"path_token": TOKEN},
    "tencent": {"path_token": TOKEN},
    "huawei": {"aksk": True},  # AK/SK-signed pushes, with the provider's app key and secret
    "twilio": {},  # signed with the provider's auth token
    "sns": {"certificate_url": r"^http://127\.0\.0\.1:\d+/[^?#]*\.pem$"},
    "vonage": {"signature_secret": "vonage-signature-secret", "signature_method": "sha256"},
}


def deliveries(send_log: Store, message_id: str) -> dict[str, str]:
    (record,) = [r for r in send_log.log_query(message_id=message_id) if r.kind == "message"]
    return dict(record.deliveries)


@pytest.mark.parametrize("name", sorted(RECEIPTS))  # the six providers of issue 13
@pytest.mark.parametrize("delivered", [True, False], ids=["delivered", "failed"])
def test_a_pushed_receipt_lands_in_the_send_log(
    name: str, delivered: bool, send_log: Store, sns_signer: SnsSigner
) -> None:
    seen: list[Any] = []
    with serve(create(name)) as emulator, Gateway({name: emulator.settings()}, send_log=send_log) as gateway:
        result = gateway.send(MESSAGE)
        assert result.ok
        receipts = Receipts.for_gateway(gateway, {name: RECEIPTS[name]}, on_delivery=[seen.append])
        with serve_receipts(receipts) as endpoint:
            pusher = ReceiptPusher(
                emulator,
                endpoint.url(name, TOKEN),
                status="delivered" if delivered else "failed",
                signature_secret=RECEIPTS["vonage"]["signature_secret"],
                aksk=True,
                sns=sns_signer,
            )
            assert all(200 <= status < 300 for status in pusher.push_new())
            assert pusher.push_new() == []  # nothing new
    expected = "delivered" if delivered else "failed"
    assert deliveries(send_log, result.message_id) == {PHONE: expected}
    (report,) = seen
    assert report.message_id == result.message_id and report.status is DeliveryStatus(expected)


@pytest.mark.parametrize("name", ["aliyun", "twilio", "huawei", "vonage"])
def test_a_push_pushed_again_is_kept_once_and_refused_when_signed(name: str, send_log: Store) -> None:
    seen: list[Any] = []
    with serve(create(name)) as emulator, Gateway({name: emulator.settings()}, send_log=send_log) as gateway:
        gateway.send(MESSAGE)
        receipts = Receipts.for_gateway(gateway, {name: RECEIPTS[name]}, on_delivery=[seen.append])
        with serve_receipts(receipts) as endpoint:
            pusher = ReceiptPusher(
                emulator, endpoint.url(name, TOKEN), aksk=True, signature_secret=RECEIPTS["vonage"]["signature_secret"]
            )
            (push,) = pusher.outgoing(emulator.delivered)
            first, again = push.send()[0], push.send()[0]
    assert first == 200 or first == 204
    assert again == (200 if name == "aliyun" else 403)  # unsigned: acknowledged and kept once
    assert len(seen) == 1 and len(send_log.reports()) == 1


@pytest.mark.parametrize("name", ["aliyun", "tencent", "twilio"])
def test_a_pulled_receipt_lands_in_the_send_log(name: str, send_log: Store) -> None:
    with serve(create(name)) as emulator, Gateway({name: emulator.settings()}, send_log=send_log) as gateway:
        result = gateway.send(MESSAGE)
        poll = gateway.poll_reports()
        assert [r.phone for r in poll.reports] == [PHONE] and not poll.errors
        assert deliveries(send_log, result.message_id) == {PHONE: "delivered"}
        again = gateway.poll_reports()
    assert again.reports == [] or name != "tencent"  # Tencent hands each status out once


@pytest.mark.parametrize("name", ["aliyun", "tencent", "twilio"])
def test_the_async_pull(name: str, send_log: Store) -> None:
    async def run() -> tuple[str, Any]:
        with serve(create(name)) as emulator:
            async with AsyncGateway({name: emulator.settings()}, send_log=send_log) as gateway:
                result = await gateway.send(MESSAGE)
                return result.message_id, await gateway.poll_reports()

    message_id, poll = asyncio.run(run())
    assert len(poll.reports) == 1 and deliveries(send_log, message_id) == {PHONE: "delivered"}


def test_a_pull_resumes_where_it_stopped(send_log: Store) -> None:
    with serve(create("twilio")) as emulator, Gateway({"twilio": emulator.settings()}, send_log=send_log) as gateway:
        first = gateway.send(MESSAGE)
        sid = emulator.delivered[0]["sid"]
        emulator.statuses[sid] = "sent"  # not settled yet
        poll = gateway.poll_reports()
        assert poll.reports == [] and poll.pending == 1
        cursor = poll.cursors["twilio"]
        second = gateway.send(MESSAGE)
        emulator.server.stop()  # the provider is unreachable: the cursor must not move
        failed = gateway.poll_reports()
        assert "twilio" in failed.errors and failed.cursors == {}
    with serve(emulator), Gateway({"twilio": emulator.settings()}, send_log=send_log) as gateway:
        emulator.statuses[sid] = "delivered"
        resumed = gateway.poll_reports()
    assert sorted(r.provider_message_id for r in resumed.reports) == sorted(d["sid"] for d in emulator.delivered)
    assert resumed.cursors["twilio"] >= cursor
    assert deliveries(send_log, first.message_id) == deliveries(send_log, second.message_id) == {PHONE: "delivered"}


@pytest.mark.parametrize("name", ["aliyun", "twilio"])
def test_pushed_and_pulled_receipts_on_every_store(name: str, any_send_log: Store) -> None:
    with serve(create(name)) as emulator, Gateway({name: emulator.settings()}, send_log=any_send_log) as gateway:
        pushed, pulled = gateway.send(MESSAGE), gateway.send(MESSAGE)
        receipts = Receipts.for_gateway(gateway, {name: RECEIPTS[name]})
        with serve_receipts(receipts, threaded=True) as endpoint:  # the store's sync twins
            pusher = ReceiptPusher(emulator, endpoint.url(name, TOKEN))
            (push,) = pusher.outgoing(emulator.delivered[:1])
            assert push.send()[0] == 200
        poll = gateway.poll_reports()
    assert (
        deliveries(any_send_log, pushed.message_id)
        == deliveries(any_send_log, pulled.message_id)
        == {PHONE: "delivered"}
    )
    assert {r.message_id for r in poll.reports} <= {pushed.message_id, pulled.message_id}
    assert len(any_send_log.reports(phone=PHONE)) == 2  # the pushed one and the pulled one, each kept once
