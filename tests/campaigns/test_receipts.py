"""Delivery reports move a campaign's ``delivered`` / ``undelivered`` counts, a row once: pushed by the
Aliyun emulator to the service's webhooks, or pulled with ``poll_reports`` (QuerySendDetails)."""

from __future__ import annotations

from smsgate import DeliveryReport, DeliveryStatus, Gateway, SQLiteStore
from smsgate._config import Config
from smsgate.campaigns import Campaign, Campaigns, count_deliveries
from smsgate.emulators.receipts import ReceiptPusher
from smsgate.receipts import Receipts
from smsgate.server import create_app
from tests.server.conftest import Served

TOKEN = "path-token-0123456789abcdef"
PHONES = [f"138{i:08d}" for i in range(30)]


def rows() -> list[dict[str, str]]:
    return [{"phone": p, "code": str(i)} for i, p in enumerate(PHONES)]  # per-phone params: SendBatchSms


def test_pushed_receipts_move_the_counts_once_per_row(tmp_path, aliyun_server):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    config = Config(providers={"aliyun": aliyun_server.settings()}, receipts={"aliyun": {"path_token": TOKEN}})
    with Gateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        campaign = Campaign(rows(), template="SMS_1", batch_size=10)
        campaign.run(gateway)
    url = None
    with Served(create_app(config, store=store)) as served:
        url = f"{served.url}/v1/webhooks/aliyun/aliyun/{TOKEN}"
        delivered, failed = aliyun_server.delivered[:20], aliyun_server.delivered[20:]
        assert [push.send()[0] for push in ReceiptPusher(aliyun_server, url).outgoing(delivered)] == [200]
        failing = ReceiptPusher(aliyun_server, url, status="failed")
        assert [push.send()[0] for push in failing.outgoing(failed)] == [200]
        again = ReceiptPusher(aliyun_server, url).push_new()  # every receipt pushed again, as "delivered"
        state = Campaigns(store).get(campaign.id)
    store.close()
    assert again == [200] and url is not None
    assert (state.counts["delivered"], state.counts["undelivered"], state.counts["accepted"]) == (20, 10, 30)


def test_polled_receipts_move_the_counts(tmp_path, aliyun_server):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    for phone in PHONES[:5]:
        aliyun_server.set_receipt(phone, 2, "MOBILE_NOT_ON_SERVICE")
    for phone in PHONES[5:8]:
        aliyun_server.set_receipt(phone, 1, "")  # still on its way: counts nothing yet
    with Gateway({"aliyun": aliyun_server.settings()}, store=store, send_log=store) as gateway:
        campaign = Campaign(rows(), template="SMS_1", batch_size=10)
        campaign.run(gateway)
        receipts = Receipts.for_gateway(gateway, on_delivery=[count_deliveries(store)])
        poll = gateway.poll_reports(receipts=receipts)
        gateway.poll_reports(receipts=receipts, since=0)  # asked again: nothing counts twice
        state = Campaigns(store).get(campaign.id)
    store.close()
    assert len(poll.reports) == 27 and poll.pending == 3
    assert (state.counts["delivered"], state.counts["undelivered"]) == (22, 5)


def test_a_row_counts_once_on_every_store(store, aliyun_server):
    with Gateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        campaign = Campaign(rows()[:3], template="SMS_1")
        campaign.run(gateway)
    count = count_deliveries(store)
    first, second, third = aliyun_server.delivered
    reports = [(first, DeliveryStatus.DELIVERED), (second, DeliveryStatus.EXPIRED), (third, DeliveryStatus.UNKNOWN)]
    for delivery, status in reports * 2:  # pushed twice; an unknown status settles nothing
        count(DeliveryReport("aliyun", delivery.biz_id, f"+86{delivery.phone}", status, status.value))
    count(DeliveryReport("aliyun", "no-such-id", f"+86{first.phone}", DeliveryStatus.DELIVERED, "DELIVERED"))
    counts = Campaigns(store).get(campaign.id).counts
    assert (counts["delivered"], counts["undelivered"]) == (1, 1)
