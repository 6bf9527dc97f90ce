"""The campaigns page: progress, counts and rejects of the tenant's campaigns; pause and resume (CSRF)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape

from smsgate.campaigns import Campaign, Campaigns, CampaignState, Reject
from smsgate.server._campaigns import assign
from smsgate.server.ui._campaigns import LISTED
from smsgate.server.ui._render import templates
from tests.waits import wait_until

from .conftest import Dashboard, csrf


def upload(dashboard: Dashboard, rows: int, token: str = "admin", name: str = "spring sale") -> str:
    lines = ["phone"] + ["12345"] + [f"+1415555{n:04d}" for n in range(rows)]
    with dashboard.api(token) as api:
        answer = api.post(
            "/v1/campaigns",
            files={"file": ("r.csv", "\n".join(lines).encode(), "text/csv")},
            data={"text": "Hi", "name": name},
        )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def recorded(dashboard: Dashboard, tenant: str, tmp_path, name: str = "held") -> str:
    """A campaign recorded as running but not sent by anyone yet: it moves only when told to."""
    source = tmp_path / f"{name}.csv"
    source.write_text("phone\n+14155550100\n+14155550101\n")
    campaign = Campaign(source, text="Hi", name=name)
    campaign.record(dashboard.store, time.time())
    assign(dashboard.store, tenant, campaign.id)
    return campaign.id


def test_progress_counts_and_rejects_of_the_tenants_campaigns(dashboard: Dashboard) -> None:
    mine = upload(dashboard, 3)
    theirs = upload(dashboard, 2, "other", name="globex drive")
    campaigns = Campaigns(dashboard.store)
    wait_until(lambda: {campaigns.get(i).status for i in (mine, theirs)} == {"done"}, what="both campaigns done")
    with dashboard.signed_in() as client:
        page = client.get("/ui/campaigns").text
        assert "spring sale" in page and mine in page
        assert "globex drive" not in page and theirs not in page
        assert '<progress id="p-' in page and 'value="4" max="4"' in page  # 3 sent and 1 invalid: all done
        assert "<dt>accepted</dt><dd>3</dd>" in page and "<dt>rejects</dt><dd>1</dd>" in page
        assert "row 1 · 12345" in page  # the invalid row, with its reason


def test_a_tenants_campaigns_stay_listed_however_many_other_tenants_start(dashboard: Dashboard, tmp_path) -> None:
    mine = recorded(dashboard, "acme", tmp_path, name="ours")
    for n in range(LISTED + 5):  # more than the page lists, all newer than ours and someone else's
        recorded(dashboard, "globex", tmp_path, name=f"theirs-{n}")
    with dashboard.signed_in() as client:
        page = client.get("/ui/campaigns").text
    assert mine in page and "theirs-" not in page


def test_pause_and_resume_need_the_sessions_csrf_token(dashboard: Dashboard, tmp_path) -> None:
    held = recorded(dashboard, "acme", tmp_path)
    campaigns = Campaigns(dashboard.store)
    with dashboard.signed_in() as client:
        page = client.get("/ui/campaigns")
        assert f'action="/ui/campaigns/{held}/pause"' in page.text
        assert client.post(f"/ui/campaigns/{held}/pause", data={}).status_code == 403
        assert client.post(f"/ui/campaigns/{held}/pause", data={"csrf": "wrong"}).status_code == 403
        assert campaigns.get(held).status == "running"
        answer = client.post(f"/ui/campaigns/{held}/pause", data={"csrf": csrf(page.text)})
        assert answer.status_code == 303 and campaigns.get(held).status == "paused"
        page = client.get("/ui/campaigns")
        assert f'action="/ui/campaigns/{held}/resume"' in page.text and "Resume held" in page.text
        assert client.post(f"/ui/campaigns/{held}/resume", data={"csrf": csrf(page.text)}).status_code == 303
        wait_until(lambda: campaigns.get(held).status == "done", what="the resumed campaign to finish here")
        assert campaigns.get(held).counts["accepted"] == 2
        assert "Pause held" not in client.get("/ui/campaigns").text  # done: nothing to pause


def test_another_tenants_campaign_cannot_be_moved(dashboard: Dashboard, tmp_path) -> None:
    theirs = recorded(dashboard, "globex", tmp_path)
    with dashboard.signed_in() as client:
        token = csrf(client.get("/ui/campaigns").text)
        for action in ("pause", "resume", "delete"):
            assert client.post(f"/ui/campaigns/{theirs}/{action}", data={"csrf": token}).status_code == 404
        assert client.post("/ui/campaigns/not-an-id/pause", data={"csrf": token}).status_code == 404
        assert client.get("/ui/campaigns", params={"tenant": "globex"}).status_code == 403
    assert Campaigns(dashboard.store).get(theirs).status == "running"


def test_the_operator_sees_and_moves_any_tenants_campaigns(dashboard: Dashboard, tmp_path) -> None:
    theirs = recorded(dashboard, "globex", tmp_path)
    with dashboard.signed_in("operator") as client:
        assert theirs not in client.get("/ui/campaigns").text  # its own tenant's by default
        page = client.get("/ui/campaigns", params={"tenant": "globex"})
        assert theirs in page.text and "<option selected>globex</option>" in page.text
        answer = client.post(f"/ui/campaigns/{theirs}/pause", data={"csrf": csrf(page.text)})
        assert answer.headers["location"] == "/ui/campaigns?tenant=globex"
    assert Campaigns(dashboard.store).get(theirs).status == "paused"


def _campaigns_page(text: str) -> str:
    counts = dict.fromkeys(("total", "invalid", "queued", "sent", "accepted", "rejected", "unknown", "delivered"), 1)
    view = {
        "state": CampaignState("0" * 16, text, "running", counts, None, 0, 0.0),
        "done": 1,
        "total": 1,
        "rejects": [Reject(1, text, text)],
        "rejected": 2,
    }
    context = {"campaigns": [view], "counts": ("queued",), "tenant": "t", "tenants": ["t"], "session": None, "csrf": ""}
    return templates.env.get_template("campaigns.html").render(**context)


@given(st.text(max_size=60).map(lambda t: f"⟦{t}⟧"))
def test_any_campaign_name_or_reject_is_escaped(text):
    assert _campaigns_page(text).replace(str(escape(text)), "\x00") == _campaigns_page("\x00")
