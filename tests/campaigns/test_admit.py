"""Row-by-row admission: per-phone limits, the blocklist and the country allowlist refuse a row, not its batch."""

from __future__ import annotations

from smsgate import PhoneLimits
from smsgate.campaigns import Campaign, Campaigns
from smsgate.testing import memory_gateway
from tests.waits import within_one_window

from .test_campaign import phones, rows, sent_phones


def test_per_phone_limits_count_each_row():
    source = [{"phone": p} for p in phones(3) * 4]  # each phone 4 times
    within_one_window(86400.0, 30.0)  # the limit counts in real time
    with memory_gateway() as gateway:
        campaign = Campaign(source, template="SMS_1", limits=PhoneLimits(per_day=3), chunk_size=5)
        state = campaign.run(gateway)
        sent = sent_phones(gateway)
        rejects = list(Campaigns(gateway.store).rejects(campaign.id))
    assert set(sent.values()) == {3} and len(sent) == 3
    assert state.counts["accepted"] == 9 and state.counts["rejected"] == 3 and state.counts["sent"] == 9
    assert all("per_day=3" in r.reason for r in rejects) and len(rejects) == 3


def test_blocklisted_rows_are_refused_alone():
    with memory_gateway(blocklist=True) as gateway:
        gateway.blocklist.add(phones(3)[1])
        state = Campaign(rows(3), template="SMS_1").run(gateway)
        sent = sent_phones(gateway)
    assert state.counts["accepted"] == 2 and state.counts["rejected"] == 1 and len(sent) == 2


def test_countries_outside_the_allowlist_are_refused_alone():
    source = ["13800138000", "+1 212 555 0123", "+44 7911 123456"]
    with memory_gateway(allowlist=["CN", "+44"]) as gateway:
        campaign = Campaign(source, template="SMS_1")
        state = campaign.run(gateway)
        rejects = list(Campaigns(gateway.store).rejects(campaign.id))
        sent = sent_phones(gateway)
    assert sorted(sent) == ["+447911123456", "+8613800138000"] and state.counts["accepted"] == 2
    assert [(r.number, r.reason) for r in rejects] == [(2, "46004 country not allowed")]
