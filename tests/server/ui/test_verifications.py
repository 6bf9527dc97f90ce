"""The verifications page: a tenant's counts by status and purpose, started per hour; never a code."""

from __future__ import annotations

import re

from smsgate.server._verifications import tenant_purpose
from smsgate.server.ui._verifications import tenant_stats
from smsgate.verify import PurposeStats

from .conftest import Dashboard

PHONES = ["+14155550100", "+14155550101", "+14155550102"]


def cells(html: str, purpose: str) -> list[str]:
    row = re.search(rf"<tr><td>{purpose}</td>(.*?)</tr>", html)
    assert row, f"no row for {purpose}"
    return re.findall(r"<td>(\d+)</td>", row.group(1))


def test_counts_by_status_and_purpose_for_the_tenant_only(dashboard: Dashboard) -> None:
    with dashboard.api() as api:
        started = [api.post("/v1/verifications", json={"to": p, "text": "code ${code}"}).json() for p in PHONES]
        api.post("/v1/verifications", json={"to": PHONES[0], "text": "${code}", "purpose": "signup"})
        api.post(f"/v1/verifications/{started[1]['id']}/cancel")
        for _ in range(5):
            api.post(f"/v1/verifications/{started[2]['id']}/check", json={"code": "000000x"})
    with dashboard.api("other") as api:
        api.post("/v1/verifications", json={"to": PHONES[0], "text": "${code}"})
    with dashboard.signed_in() as client:
        page = client.get("/ui/verifications")
        assert page.status_code == 200
        # started, pending, approved, canceled, expired, max_attempts_reached
        assert cells(page.text, "login") == ["3", "1", "0", "1", "0", "1"]
        assert cells(page.text, "signup") == ["1", "1", "0", "0", "0", "0"]
        assert page.text.count("<polyline") == 2
        assert tenant_purpose("", "acme") not in page.text  # the tenant's suffix stays inside
    with dashboard.signed_in("other") as client:
        assert cells(client.get("/ui/verifications").text, "login") == ["1", "1", "0", "0", "0", "0"]
        assert "signup" not in client.get("/ui/verifications").text


def test_no_code_is_ever_shown(dashboard: Dashboard) -> None:
    outbox = dashboard.outbox
    with dashboard.api() as api:
        api.post("/v1/verifications", json={"to": PHONES[0], "text": "code ${code}"})
    code = str(outbox.last.params["code"])
    with dashboard.signed_in() as client:
        for hours in (6, 24, 168, 99999, -1, "many", "<b>"):
            page = client.get("/ui/verifications", params={"hours": hours})
            assert page.status_code == 200 and code not in page.text


def test_tenant_purposes_are_named_plainly():
    suffix = tenant_purpose("", "acme")
    found = [PurposeStats(f"login{suffix}", {}, []), PurposeStats(f"login{tenant_purpose('', 'globex')}", {}, [])]
    assert [s.purpose for s in tenant_stats(found, "acme")] == ["login"]


def test_without_verification_set_up_the_page_says_why(dashboard: Dashboard) -> None:
    service = dashboard.app.state.service
    service.verifier, service.verifier_problem = None, "no <keys>"
    with dashboard.signed_in() as client:
        page = client.get("/ui/verifications")
        assert page.status_code == 200 and "Verification is not set up: no &lt;keys&gt;" in page.text
        assert "No verifications started" in page.text
