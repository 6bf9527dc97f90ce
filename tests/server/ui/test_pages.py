"""The dashboard over HTTP: sessions, CSRF, tenants kept apart, and every user-controlled text escaped."""

from __future__ import annotations

import re

import pytest

from .conftest import csrf

PAGES = ["/ui/", "/ui/messages", "/ui/send", "/ui/keys", "/ui/providers", "/ui/messages/" + "0" * 32]
PAGES += ["/ui/verifications", "/ui/campaigns"]
MESSAGE_ID = re.compile(r"/ui/messages/([0-9a-f]{32})")


@pytest.mark.parametrize("path", PAGES)
def test_pages_refused_without_a_session(dashboard, path):
    with dashboard.client() as client:
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui/login"
        forged = client.get(path, headers={"Cookie": "smsgate_ui=eyJrIjoiMSJ9.forged.sig"})
        assert forged.headers.get("location") == "/ui/login"


@pytest.mark.parametrize(
    "path",
    ["/ui/send", "/ui/keys", "/ui/logout", "/ui/keys/000000000000/revoke", "/ui/campaigns/" + "0" * 16 + "/pause"],
)
def test_posts_refused_without_a_session(dashboard, path):
    with dashboard.client() as client:
        assert client.post(path, data={"csrf": "x"}).headers.get("location") == "/ui/login"


def test_login_sets_an_httponly_strict_cookie_and_logout_ends_it(dashboard):
    with dashboard.client() as client:
        form = client.get("/ui/login")
        answer = client.post("/ui/login", data={"key": dashboard.tokens["admin"], "csrf": csrf(form.text)})
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert "smsgate_ui=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert dashboard.tokens["admin"] not in cookie  # never the key's secret
        page = client.get("/ui/messages")
        assert page.status_code == 200 and "acme" in page.text
        assert client.post("/ui/logout", data={"csrf": csrf(page.text)}).status_code == 303
        assert client.get("/ui/messages").headers.get("location") == "/ui/login"


@pytest.mark.parametrize("who", ["sender", "sgk_000000000000_" + "a" * 43, "nonsense"])
def test_only_a_live_admin_key_signs_in(dashboard, who):
    with dashboard.client() as client:
        form = client.get("/ui/login")
        answer = client.post("/ui/login", data={"key": dashboard.tokens.get(who, who), "csrf": csrf(form.text)})
        assert answer.status_code in (401, 403)
        assert "smsgate_ui=" not in answer.headers.get("set-cookie", "")
        assert client.get("/ui/messages").status_code == 303


def test_login_needs_its_csrf_token(dashboard):
    with dashboard.client() as client:
        client.get("/ui/login")
        answer = client.post("/ui/login", data={"key": dashboard.tokens["admin"], "csrf": "guessed"})
        assert answer.status_code == 403
        assert client.get("/ui/messages").status_code == 303


def test_every_post_needs_the_sessions_csrf_token(dashboard):
    with dashboard.signed_in() as client:
        for path, data in [
            ("/ui/send", {"to": "+14155550100", "text": "hi"}),
            ("/ui/keys", {"scope": "send"}),
            ("/ui/logout", {}),
        ]:
            assert client.post(path, data=data).status_code == 403
            assert client.post(path, data={**data, "csrf": "wrong"}).status_code == 403
        keys = client.get("/ui/keys").text
        assert keys.count("Revoke sgk_") == 2  # acme's two: no key was made
        assert "No messages match" in client.get("/ui/messages").text  # nothing was sent


def send(client, **data) -> str:
    page = client.get("/ui/send")
    answer = client.post("/ui/send", data={"csrf": csrf(page.text), **data})
    assert answer.status_code == 200, answer.text
    found = MESSAGE_ID.search(answer.text)
    assert found
    return found.group(1)


def test_sends_a_test_and_finds_it_by_phone(dashboard):
    with dashboard.signed_in() as client:
        first = send(client, to="+14155550100", text="hello ${name}", params="name=Ann", provider="memory")
        send(client, to="+14155550111", text="other")
        listed = client.get("/ui/messages", params={"phone": "+14155550100"}).text
        assert first in listed and "+14155550111" not in listed
        page = client.get(f"/ui/messages/{first}").text
        assert "+14155550100" in page and "memory" in page and "accepted" in page and "try 1" in page
        assert "+14155550111" in client.get("/ui/messages", params={"status": "accepted"}).text
        assert "No messages match" in client.get("/ui/messages", params={"provider": "nope"}).text


def test_bad_filters_and_sends_are_named_not_500(dashboard):
    with dashboard.signed_in() as client:
        answer = client.get("/ui/messages", params={"phone": "not a phone"})
        assert answer.status_code == 422 and "phone" in answer.text
        answer = client.get("/ui/messages", params={"since": "yesterday"})
        assert answer.status_code == 422 and "since" in answer.text
        page = client.get("/ui/send")
        answer = client.post("/ui/send", data={"csrf": csrf(page.text), "to": "+14155550100", "params": "novalue"})
        assert answer.status_code == 422 and "params" in answer.text
        answer = client.post("/ui/send", data={"csrf": csrf(page.text), "to": "+1" + "5" * 40, "text": "x"})
        assert answer.status_code == 422 and "to" in answer.text


def test_another_tenants_message_is_not_found(dashboard):
    with dashboard.signed_in("other") as globex:
        theirs = send(globex, to="+14155550100", text="globex only")
    with dashboard.signed_in() as acme:
        answer = acme.get(f"/ui/messages/{theirs}")
        assert answer.status_code == 404 and "+14155550100" not in answer.text
        assert theirs not in acme.get("/ui/messages").text
        assert "memory" not in acme.get("/ui/providers").text.split("<tbody>")[1].split("</tbody>")[0]


def test_user_controlled_text_is_escaped(dashboard):
    evil = "<script>alert(1)</script>"
    with dashboard.signed_in() as client:
        page = client.get("/ui/send")
        answer = client.post(
            "/ui/send", data={"csrf": csrf(page.text), "to": "+14155550100", "text": evil, "params": f"x={evil}"}
        )
        assert evil not in answer.text and "&lt;script&gt;" in answer.text
        listed = client.get("/ui/messages", params={"phone": evil})
        assert evil not in listed.text and "&lt;script&gt;" in listed.text
        assert "default-src 'self'" in listed.headers["content-security-policy"]


def test_keys_made_shown_once_listed_by_prefix_and_revoked(dashboard):
    with dashboard.signed_in() as client:
        page = client.get("/ui/keys")
        made = client.post("/ui/keys", data={"csrf": csrf(page.text), "scope": ["send", "read"]})
        token = re.search(r"sgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", made.text).group(0)
        listing = client.get("/ui/keys").text
        assert token not in listing and token[:16] in listing
        assert dashboard.tokens["other"][:16] not in listing  # globex's key
        with dashboard.client() as api:
            headers = {"Authorization": f"Bearer {token}"}
            assert api.get("/v1/messages", headers=headers).status_code == 200
            key_id = token[4:16]
            assert client.post(f"/ui/keys/{key_id}/revoke", data={"csrf": csrf(listing)}).status_code == 303
            assert api.get("/v1/messages", headers=headers).status_code == 401
        other_id = dashboard.tokens["other"][4:16]
        assert client.post(f"/ui/keys/{other_id}/revoke", data={"csrf": csrf(listing)}).status_code == 404


def test_revoking_the_sessions_own_key_ends_the_session(dashboard):
    with dashboard.signed_in() as client:
        listing = client.get("/ui/keys").text
        own = dashboard.tokens["admin"][4:16]
        client.post(f"/ui/keys/{own}/revoke", data={"csrf": csrf(listing)})
        assert client.get("/ui/messages").headers.get("location") == "/ui/login"


def test_providers_page_shows_health_and_a_chart(dashboard):
    with dashboard.signed_in() as client:
        send(client, to="+14155550100", text="hi")
        page = client.get("/ui/providers").text
        assert "memory" in page and "100.0%" in page and "<polyline" in page
