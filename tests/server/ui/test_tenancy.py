"""Tenants on every page: an admin key sees its own tenant's data only; the operator's may pick any."""

from __future__ import annotations

import pytest

from .conftest import Dashboard, csrf
from .test_pages import MESSAGE_ID, send

PAGES = ["/ui/messages", "/ui/verifications", "/ui/campaigns", "/ui/messages/" + "0" * 32]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("asked", ["globex", "ops", "nobody", "<b>x</b>"])
def test_a_tenant_admin_asking_for_another_tenant_is_refused(dashboard: Dashboard, path: str, asked: str) -> None:
    with dashboard.signed_in("other") as globex:
        theirs = send(globex, to="+14155550177", text="globex only")
    with dashboard.signed_in() as acme:
        answer = acme.get(path, params={"tenant": asked})
        assert answer.status_code == 403
        assert theirs not in answer.text and "+14155550177" not in answer.text
        assert "<b>x</b>" not in answer.text
        assert acme.get(f"/ui/messages/{theirs}", params={"tenant": asked}).status_code == 403
        own = acme.get(path, params={"tenant": "acme"})
        assert own.status_code in (200, 404) and "+14155550177" not in own.text
        assert '<select name="tenant">' not in own.text  # nothing to pick from


def test_the_operator_filters_messages_by_tenant(dashboard: Dashboard) -> None:
    with dashboard.signed_in("other") as globex:
        theirs = send(globex, to="+14155550177", text="globex only")
    with dashboard.signed_in() as acme:
        mine = send(acme, to="+14155550100", text="acme only")
    with dashboard.signed_in("operator") as ops:
        own = ops.get("/ui/messages").text
        assert theirs not in own and mine not in own  # the operator's own tenant by default
        assert '<select name="tenant">' in own and "<option>acme</option>" in own and "<option>globex</option>" in own
        listed = ops.get("/ui/messages", params={"tenant": "globex"}).text
        assert theirs in listed and mine not in listed
        link = f"/ui/messages/{theirs}?tenant=globex"
        assert link in listed
        assert "+14155550177" in ops.get(link).text
        assert ops.get(f"/ui/messages/{theirs}").status_code == 404  # not the operator's own
        assert MESSAGE_ID.search(ops.get("/ui/messages", params={"tenant": "acme"}).text).group(1) == mine


def test_the_operator_sees_another_tenants_verification_counts(dashboard: Dashboard) -> None:
    with dashboard.api("other") as api:
        assert api.post("/v1/verifications", json={"to": "+14155550100", "text": "${code}"}).status_code == 201
    with dashboard.signed_in("operator") as ops:
        assert "<tr><td>login</td>" not in ops.get("/ui/verifications").text
        assert "<tr><td>login</td><td>1</td>" in ops.get("/ui/verifications", params={"tenant": "globex"}).text


def test_without_an_operator_no_one_spans_tenants(dashboard: Dashboard, monkeypatch) -> None:
    dashboard.app.state.ui_operator = None
    with dashboard.signed_in("operator") as ops:
        assert ops.get("/ui/messages", params={"tenant": "globex"}).status_code == 403
        token = csrf(ops.get("/ui/messages").text)
        assert token  # still signed in: only the other tenant's data is refused
