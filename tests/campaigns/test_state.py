"""``Campaigns``: campaigns as the store keeps them, on every store."""

from __future__ import annotations

import pytest

from smsgate import Campaign, Campaigns, InvalidRequest
from smsgate.testing import memory_gateway


def rows(n: int) -> list[str]:
    return [f"138{i:08d}" for i in range(n)]


def test_list_newest_first_and_get(store):
    with memory_gateway(store=store) as gateway:
        first = Campaign(rows(3), template="SMS_1", name="first")
        second = Campaign([*rows(2), "123"], template="SMS_1", name="second", chunk_size=2)
        first.run(gateway)
        second.run(gateway)
    campaigns = Campaigns(store)
    assert [c.name for c in campaigns.list()] == ["second", "first"] and len(campaigns.list(limit=1)) == 1
    state = campaigns.get(second.id)
    assert state.status == "done" and state.chunks == state.chunks_done == 2
    assert state.counts == {"total": 3, "invalid": 1, "queued": 2, "sent": 2, "accepted": 2, "rejected": 0,
                            "unknown": 0, "delivered": 0, "undelivered": 0}  # fmt: skip
    assert state.to_dict()["template"] == "SMS_1" and state.finished == 3
    assert [(r.number, r.phone) for r in campaigns.rejects(second.id)] == [(3, "123")]
    assert [(n, kind) for n, kind, _ in campaigns.outcomes(second.id)] == [(1, "accepted"), (2, "accepted")]


def test_pause_and_resume_move_only_where_they_can(store):
    with memory_gateway(store=store) as gateway:
        campaign = Campaign(rows(4), template="SMS_1", chunk_size=2)
        state = campaign.run(gateway, stop=lambda: True)
    campaigns = Campaigns(store)
    assert state.status == "paused" and campaigns.pause(campaign.id).status == "paused"
    assert campaigns.resume(campaign.id).status == "running"
    assert campaigns.pause(campaign.id).status == "paused"
    with memory_gateway(store=store) as gateway:
        assert Campaign.resume(campaign.id, store, rows(4)).run(gateway).status == "done"
    for move in (campaigns.pause, campaigns.resume):
        with pytest.raises(InvalidRequest, match="is done"):
            move(campaign.id)


def test_an_unknown_campaign_is_a_typed_error(store):
    with pytest.raises(InvalidRequest) as info:
        Campaigns(store).get("nope")
    assert info.value.field == "campaign" and "no campaign 'nope'" in str(info.value)
    with pytest.raises(InvalidRequest):
        Campaign.resume("nope", store)


def test_find_by_id_or_name(store):
    with memory_gateway(store=store) as gateway:
        older = Campaign(rows(1), template="SMS_1", name="sale")
        newer = Campaign(rows(1), template="SMS_1", name="sale")
        older.run(gateway)
        newer.run(gateway)
    campaigns = Campaigns(store)
    assert campaigns.find("sale").id == newer.id and campaigns.find(older.id).id == older.id
    with pytest.raises(InvalidRequest, match="no campaign 'other'"):
        campaigns.find("other")
