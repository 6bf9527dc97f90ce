"""``Campaign``: rows sent once, outcomes and counts in the store, resumable; sync and async."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from smsgate import AsyncGateway, Gateway, InvalidRequest
from smsgate.campaigns import Campaign, Campaigns
from smsgate.stores import MemoryStore, SQLiteStore
from smsgate.testing import memory_gateway, outbox_of


def phones(n: int, start: int = 0) -> list[str]:
    return [f"138{i:08d}" for i in range(start, start + n)]


def rows(n: int) -> list[dict[str, str]]:
    return [{"phone": p, "code": str(i)} for i, p in enumerate(phones(n))]


def sent_phones(gateway: Gateway) -> Counter[str]:
    return Counter(entry.to for entry in outbox_of(gateway))


def test_every_row_once_with_its_own_params():
    with memory_gateway() as gateway:
        state = Campaign(rows(250), template="SMS_1", chunk_size=100, batch_size=40).run(gateway)
        sent = sent_phones(gateway)
        params = {entry.to: entry.params["code"] for entry in outbox_of(gateway)}
    assert state.status == "done"
    assert state.counts["accepted"] == state.counts["sent"] == state.counts["queued"] == state.counts["total"] == 250
    assert sorted(sent) == sorted(f"+86{p}" for p in phones(250)) and set(sent.values()) == {1}
    assert params == {f"+86{p}": str(i) for i, p in enumerate(phones(250))}
    assert state.chunks == state.chunks_done == 3


def test_running_again_sends_nothing_twice():
    store = MemoryStore()
    with memory_gateway(store=store) as gateway:
        campaign = Campaign(rows(120), template="SMS_1", chunk_size=50)
        campaign.run(gateway)
        again = Campaign.resume(campaign.id, store, rows(120)).run(gateway)
        assert sum(sent_phones(gateway).values()) == 120
    assert again.counts["accepted"] == 120 and again.status == "done"


def test_invalid_rows_are_rejected_with_their_number_and_the_rest_sent():
    source = [{"phone": "13800000001"}, {"phone": "12345"}, {"phone": ""}, {"phone": "13800000002", "x": [1]}]
    with memory_gateway() as gateway:
        campaign = Campaign(source, template="SMS_1")
        state = campaign.run(gateway)
        rejects = list(Campaigns(gateway.store).rejects(campaign.id))
    assert state.counts["invalid"] == 3 and state.counts["accepted"] == 1 and state.status == "done"
    assert [(r.number, r.phone) for r in rejects] == [(2, "12345"), (3, ""), (4, "13800000002")]
    assert "not a valid phone number" in rejects[0].reason and "no phone" in rejects[1].reason


def test_provider_rejections_and_unknown_outcomes_are_counted_and_never_resent():
    store = MemoryStore()
    with memory_gateway(store=store) as gateway:
        provider = gateway.providers["memory"]
        provider.fail_with("unknown", times=None, phones=[phones(10)[3]])
        provider.fail_with("recipient", times=None, phones=[phones(10)[5]])
        campaign = Campaign(rows(10), template="SMS_1", batch_size=5)
        state = campaign.run(gateway)
        provider.clear()
        again = Campaign.resume(campaign.id, store, rows(10)).run(gateway)
        resent = sum(sent_phones(gateway).values())
    assert state.counts["unknown"] == 1 and state.counts["rejected"] == 1 and state.counts["accepted"] == 8
    assert state.counts["sent"] == 10
    assert again.counts == state.counts and resent == 0


def test_rows_claimed_by_a_lost_run_are_unknown_not_resent():
    store = MemoryStore()
    with memory_gateway(store=store) as gateway:
        campaign = Campaign(rows(10), template="SMS_1", batch_size=3)
        store.add(f"campaign:{campaign.id}:batch:0:1", "pending")  # a run claimed rows 4-6, then died
        state = campaign.run(gateway)
        sent = sent_phones(gateway)
        outcomes = list(Campaigns(store).outcomes(campaign.id))
    assert state.counts["unknown"] == 3 and state.counts["accepted"] == 7
    assert not {f"+86{p}" for p in phones(10)[3:6]} & set(sent) and len(sent) == 7
    assert [n for n, kind, _ in outcomes if kind == "unknown"] == [4, 5, 6]
    assert "lost while sending" in outcomes[3][2]


def test_stop_pauses_and_resume_finishes(tmp_path):
    store = SQLiteStore(tmp_path / "state.db")
    with memory_gateway(store=store) as gateway:
        seen: list[int] = []
        campaign = Campaign(rows(500), template="SMS_1", chunk_size=100)
        state = campaign.run(gateway, stop=lambda: len(seen) >= 2, on_chunk=lambda c, t: seen.append(c.number))
        assert state.status == "paused" and state.counts["accepted"] == 200
        resumed = Campaign.resume(campaign.id, store, rows(500)).run(gateway)
        assert sum(sent_phones(gateway).values()) == 500
    assert resumed.status == "done" and resumed.counts["accepted"] == 500 and resumed.chunks == 5
    store.close()


def test_a_paused_campaign_stops_between_chunks():
    with memory_gateway() as gateway:
        campaigns = Campaigns(gateway.store)
        campaign = Campaign(rows(300), template="SMS_1", chunk_size=100)
        state = campaign.run(gateway, on_chunk=lambda c, t: campaigns.pause(campaign.id))
    assert state.status == "paused" and state.counts["accepted"] == 100


def test_async_twin_sends_the_same():
    async def main() -> tuple[int, Counter[str]]:
        async with memory_gateway(asynchronous=True) as gateway:
            state = await Campaign(rows(230), template="SMS_1", chunk_size=100, batch_size=30).arun(gateway)
            return state.counts["accepted"], sent_phones(gateway)

    accepted, sent = asyncio.run(main())
    assert accepted == 230 and len(sent) == 230 and set(sent.values()) == {1}


def test_over_http_to_aliyun(aliyun_server):
    aliyun_server.fail_phone("13800000007", "isv.MOBILE_NUMBER_ILLEGAL")
    with Gateway({"aliyun": aliyun_server.settings()}) as gateway:
        campaign = Campaign(rows(300), template="SMS_1", chunk_size=150, batch_size=100)
        state = campaign.run(gateway)
        rejects = list(Campaigns(gateway.store).rejects(campaign.id))
    delivered = Counter(aliyun_server.phones())
    assert set(delivered.values()) == {1} and len(delivered) == 200  # the batch holding the bad phone is refused
    assert state.counts["accepted"] == 200 and state.counts["rejected"] == 100 == len(rejects)
    assert all("MOBILE_NUMBER_ILLEGAL" in r.reason for r in rejects)


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"chunk_size": 0}])
def test_sizes_are_at_least_one(bad):
    campaign = Campaign(rows(1), template="SMS_1", **bad)
    assert campaign.spec.batch_size >= 1 and campaign.chunk_size >= 1


def test_asyncgateway_over_http(aliyun_server):
    async def main() -> int:
        async with AsyncGateway({"aliyun": aliyun_server.settings()}) as gateway:
            state = await Campaign(rows(250), template="SMS_1", chunk_size=100).arun(gateway)
            return state.counts["accepted"]

    assert asyncio.run(main()) == 250 and len(set(aliyun_server.phones())) == 250


def test_a_campaign_needs_a_template_or_a_text():
    with pytest.raises(InvalidRequest, match="template code or a text") as info:
        Campaign(rows(1))
    assert info.value.field == "template"


class FailingStore(MemoryStore):
    """A store that fails every ``run`` whose calls include ``name`` with ``value``, from the ``after``-th on."""

    def __init__(self, failing: str, after: int = 1) -> None:
        super().__init__()
        self.failing, self.left = failing, after

    def run(self, calls):
        if any(name == "set" and args[1] != "pending" and self.failing in args[0] for name, args in calls):
            self.left -= 1
            if self.left <= 0:
                raise ConnectionError("store down")
        return super().run(calls)


def test_a_store_failure_after_the_send_never_leads_to_a_resend():
    store = FailingStore(":batch:", after=2)  # the second wave's outcomes cannot be recorded
    with memory_gateway(store=store) as gateway:
        campaign = Campaign(rows(40), template="SMS_1", batch_size=10, concurrency=2)
        with pytest.raises(ConnectionError):
            campaign.run(gateway)
        assert Campaigns(store).get(campaign.id).status == "failed"
        store.left = 10**9
        state = Campaign.resume(campaign.id, store, rows(40)).run(gateway)
        sent = sent_phones(gateway)
    assert set(sent.values()) == {1} and len(sent) == 40  # the second wave left once, and never again
    assert state.status == "done" and state.counts["accepted"] == 20 and state.counts["unknown"] == 20


def test_a_store_failure_before_the_send_sends_nothing_and_resume_sends_it():
    class Down(MemoryStore):
        down = True

        def run(self, calls):
            if self.down and any(name == "add" and ":batch:" in args[0] for name, args in calls):
                raise ConnectionError("store down")
            return super().run(calls)

    store = Down()
    with memory_gateway(store=store) as gateway:
        campaign = Campaign(rows(5), template="SMS_1")
        with pytest.raises(ConnectionError):
            campaign.run(gateway)
        assert sum(sent_phones(gateway).values()) == 0
        store.down = False
        state = Campaign.resume(campaign.id, store, rows(5)).run(gateway)
        assert sum(sent_phones(gateway).values()) == 5 and state.counts["accepted"] == 5
