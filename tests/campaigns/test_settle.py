"""Settling batches a lost run claimed: looked up at the Aliyun emulator (QuerySendDetails, matched
on OutId) and recorded when found, sent when not; unknown where the provider has no lookup."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from smsgate import AsyncGateway, Gateway, Message, PhoneLimits
from smsgate.campaigns import Campaign, Campaigns
from smsgate.campaigns._drive import drive
from smsgate.campaigns._flow import chunk_flow
from smsgate.campaigns._settle import Claim
from smsgate.campaigns._state import Keys
from smsgate.stores import MemoryStore
from smsgate.stores.base import Store
from smsgate.testing import memory_gateway, outbox_of
from tests.waits import within_one_window

PHONES = [f"138{i:08d}" for i in range(5)]


def lost_run(campaign: Campaign, store: Store, gateway: Gateway | None, at: float) -> str:
    """What a killed worker leaves: its batch claimed (pending), sent first when ``gateway`` is given."""
    keys = Keys(campaign.id)
    if gateway is not None:
        gateway.send(Message(PHONES, template="SMS_1", params={"code": "1"}, out_id=keys.out_id(0, 0)))
    store.add(keys.batch(0, 0), Claim((at,)).encode())
    return keys.batch(0, 0)


def campaign_of(**options) -> Campaign:
    return Campaign([{"phone": p, "code": "1"} for p in PHONES], template="SMS_1", settle_after=0.0, **options)


@pytest.mark.parametrize("delivered_before", [True, False])
def test_a_lost_batch_is_looked_up_and_each_row_delivered_once(aliyun_server, delivered_before):
    store = MemoryStore()
    with Gateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        campaign = campaign_of()
        lost_run(campaign, store, gateway if delivered_before else None, time.time())
        state = campaign.run(gateway)
    assert Counter(aliyun_server.phones()) == Counter(PHONES)  # once each, found or sent now
    assert state.status == "done" and state.counts["accepted"] == 5 and state.counts["unknown"] == 0
    assert sorted(kind for _, kind, _ in Campaigns(store).outcomes(campaign.id)) == ["accepted"] * 5


def test_the_lookup_waits_settle_after_from_when_the_batch_was_found_lost(aliyun_server):
    now = [time.time()]
    store = MemoryStore(clock=lambda: now[0])
    asked: list[str] = []
    query = aliyun_server._query
    aliyun_server._query = lambda p: asked.append(p["PhoneNumber"]) or query(p)
    with Gateway({"aliyun": aliyun_server.settings()}, store=store, clock=lambda: now[0]) as gateway:
        campaign = campaign_of()
        campaign.settle_after = 30.0
        campaign.record(store, now[0])
        lost_run(campaign, store, None, now[0] - 3600)  # claimed long ago: the wait counts from now
        chunk = next(campaign.chunks())

        def run():
            flow = chunk_flow(campaign.spec, campaign.policy(gateway, store), chunk, Keys(campaign.id))
            return drive(flow, gateway, ThreadPoolExecutor(2))

        first = run()
        now[0] += 29.0
        second = run()
        assert (first.status, second.status) == ("later", "later")
        assert (first.wait, second.wait) == (30.0, pytest.approx(1.0))
        assert asked == [] and aliyun_server.phones() == []
        now[0] += 1.0
        third = run()
    assert third.status == "sent" and third.counts == {"accepted": 5}
    assert sorted(asked) == PHONES and Counter(aliyun_server.phones()) == Counter(PHONES)


def test_a_lookup_the_provider_cannot_answer_is_asked_again(aliyun_server):
    store = MemoryStore()
    with Gateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        campaign = campaign_of()
        lost_run(campaign, store, gateway, time.time())
        for _ in PHONES:
            aliyun_server.throttle_next()  # the queries are throttled: nothing decided, asked again
        state = campaign.run(gateway)
    assert Counter(aliyun_server.phones()) == Counter(PHONES) and state.counts["accepted"] == 5


def test_a_provider_without_a_lookup_leaves_the_rows_unknown_never_resent():
    store = MemoryStore()
    with memory_gateway(store=store) as gateway:
        campaign = campaign_of()
        lost_run(campaign, store, None, time.time())
        state = campaign.run(gateway)
        assert outbox_of(gateway) == []
    assert state.counts["unknown"] == 5 and state.counts["accepted"] == 0 and state.status == "done"
    reasons = {reason for _, _, reason in Campaigns(store).outcomes(campaign.id)}
    assert reasons == {"the run that claimed this row was lost while sending: it may have been delivered"}


def test_a_row_a_lost_run_counted_is_not_counted_twice(aliyun_server, store):
    limits = PhoneLimits(per_day=1)
    within_one_window(86400.0, 30.0)  # the limit counts in real time
    with Gateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        campaign = campaign_of(limits=limits)
        keys = Keys(campaign.id)
        for number, phone in enumerate(PHONES, 1):  # the lost run counted its rows, then died
            windows = [w for _, w in limits.windows(f"+86{phone}", gateway.clock())]
            assert store.admit([], (keys.row(number), "1", 86400.0), windows) is None
        lost_run(campaign, store, None, time.time())
        state = campaign.run(gateway)
    assert Counter(aliyun_server.phones()) == Counter(PHONES) and state.counts["rejected"] == 0


async def test_async_settles_the_same(aliyun_server):
    store = MemoryStore()
    with Gateway({"aliyun": aliyun_server.settings()}) as sender:
        campaign = campaign_of()
        lost_run(campaign, store, sender, time.time())
    async with AsyncGateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        state = await campaign.arun(gateway)
    assert Counter(aliyun_server.phones()) == Counter(PHONES) and state.counts["accepted"] == 5


def test_a_resend_that_fails_before_leaving_is_settled_again(aliyun_server):
    store = MemoryStore()
    with Gateway({"aliyun": aliyun_server.settings()}, store=store) as gateway:
        campaign = Campaign([{"phone": p, "code": str(i)} for i, p in enumerate(PHONES)], template="SMS_1",
                            batch_size=3, settle_after=0.0)  # fmt: skip
        keys = Keys(campaign.id)
        partly = {p: {"code": str(i)} for i, p in enumerate(PHONES[:2])}  # two of the batch's three rows
        gateway.send(Message(PHONES[:2], template="SMS_1", recipient_params=partly, out_id=keys.out_id(0, 0)))
        store.add(keys.batch(0, 0), Claim((time.time(),)).encode())  # its run was lost midway
        send, failed = gateway.send, []

        def down_once(message, **options):  # the resend of the lost batch fails before it leaves
            if message.out_id == keys.out_id(0, 0) and not failed:
                failed.append(message)
                raise RuntimeError("store down")
            return send(message, **options)

        gateway.send = down_once
        with pytest.raises(RuntimeError):
            campaign.run(gateway)
        assert [m.to for m in failed] == [("+8613800000002",)]  # only the row not found was resent
        state = campaign.run(gateway)
    assert Counter(aliyun_server.phones()) == Counter(PHONES) and state.counts["accepted"] == 5
