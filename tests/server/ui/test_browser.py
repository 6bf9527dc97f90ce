"""End to end in Debian's Chromium (Playwright, never ``playwright install``): sign in, send a test
through the Twilio emulator, see the delivery chart move when its receipt comes, find the message by
phone and its receipt in the timeline, verification counts after a start and a check, a campaign's
progress, pause and resume, make and revoke a key; every page at phone width and from the keyboard.
A screenshot of each page is kept under the test's tmp dir."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smsgate._config import Config
from smsgate.campaigns import Campaign, Campaigns
from smsgate.emulators import create, serve
from smsgate.emulators.receipts import ReceiptPusher
from smsgate.server import ApiKeys, create_app
from smsgate.server._campaigns import assign
from smsgate.stores.sqlite import SQLiteStore
from tests.waits import wait_until

from ..conftest import VERIFY_KEYS, Served

sync_api = pytest.importorskip("playwright.sync_api", reason="the test extra installs playwright")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = "+14155552671"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM.exists(), "scripts/test installs Debian's chromium"
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


def test_an_operator_session_end_to_end(browser, tmp_path, shots, monkeypatch):
    monkeypatch.setenv("SMSGATE_VERIFY_KEYS", VERIFY_KEYS)
    store = SQLiteStore(tmp_path / "service.sqlite3")
    admin = ApiKeys(store).create("acme", ["admin"]).token
    with serve(create("twilio")) as twilio:
        app = create_app(Config(providers={"twilio": twilio.settings()}), store=store, key_cache_ttl=0)
        with Served(app) as served:
            context = browser.new_context(viewport={"width": 1000, "height": 700})
            page = context.new_page()
            page.set_default_timeout(15_000)
            expect = sync_api.expect

            page.goto(f"{served.url}/ui/messages")
            expect(page).to_have_url(re.compile(r"/ui/login$"))  # no session: the login page
            page.get_by_label("Admin API key").fill(admin)
            page.screenshot(path=shots / "login.png")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Messages")).to_be_visible()

            page.get_by_role("link", name="Send a test").click()
            page.get_by_label("To (one phone a line)").fill(PHONE)
            page.get_by_label("Text", exact=True).fill("Hello ${name}")
            page.get_by_label("Params (name=value a line)").fill("name=<b>Ann</b>")
            page.get_by_label("Provider").select_option("twilio")
            page.get_by_role("button", name="Send").click()
            expect(page.get_by_role("heading", name="Sent")).to_be_visible()
            page.screenshot(path=shots / "send.png", full_page=True)

            page.get_by_role("link", name="Providers").click()
            expect(page.locator("#delivery figcaption")).to_contain_text("twilio 0/1 delivered")
            pusher = ReceiptPusher(twilio, f"{served.url}/v1/webhooks/twilio/twilio")
            assert pusher.push_new() == [200]
            page.reload()  # the chart is drawn by the server: a reload shows the receipt
            expect(page.locator("#delivery figcaption")).to_contain_text("twilio 1/1 delivered, lately 100%")
            assert page.locator("#delivery polyline").get_attribute("points") == "300.0,5.0"

            page.get_by_role("link", name="Messages").click()
            page.get_by_label("Phone").fill(PHONE)
            page.get_by_role("button", name="Filter").click()
            page.screenshot(path=shots / "messages.png", full_page=True)
            page.locator("tbody a").first.click()
            timeline = page.locator("ol.timeline")
            expect(timeline).to_contain_text("try 1")
            expect(timeline).to_contain_text("receipt")
            expect(timeline).to_contain_text("delivered")
            page.screenshot(path=shots / "message.png", full_page=True)

            page.get_by_role("link", name="Providers").click()
            expect(page.locator("tbody")).to_contain_text("twilio")
            expect(page.locator("tbody")).to_contain_text("100.0%")
            assert page.locator("#requests svg.chart polyline").count() == 1
            page.screenshot(path=shots / "providers.png", full_page=True)

            api = httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {admin}"}, timeout=30)
            started = api.post("/v1/verifications", json={"to": PHONE, "text": "Your code is ${code}"}).json()
            code = re.search(r"\d{6}", twilio.delivered[-1]["Body"]).group(0)  # what the phone got
            assert api.post(f"/v1/verifications/{started['id']}/check", json={"code": code}).status_code == 200
            api.post("/v1/verifications", json={"to": PHONE, "text": "${code}", "purpose": "signup"})
            page.get_by_role("link", name="Verifications").click()
            login = page.locator("#verification-counts tbody tr", has_text="login")
            expect(login.locator("td")).to_have_text(["login", "1", "0", "1", "0", "0", "0"])
            expect(page.locator("#verification-counts")).to_contain_text("signup")
            assert code not in page.content()
            page.screenshot(path=shots / "verifications.png", full_page=True)

            held = _held_campaign(store, tmp_path)
            rows = "phone\n12345\n" + "".join(f"+1415555{n:04d}\n" for n in range(3))
            made = api.post(
                "/v1/campaigns", files={"file": ("r.csv", rows.encode())}, data={"text": "Hi", "name": "spring"}
            )
            campaigns = Campaigns(store)
            wait_until(lambda: campaigns.get(made.json()["id"]).status == "done", what="the campaign to finish")
            page.get_by_role("link", name="Campaigns").click()
            spring = page.locator("section.campaign", has_text="spring")
            expect(spring.locator("progress")).to_have_attribute("value", "4")
            expect(spring).to_contain_text("row 1 · 12345")
            page.get_by_role("button", name="Pause held").click()
            expect(page.locator("section.campaign", has_text="held")).to_contain_text("paused")
            assert campaigns.get(held).status == "paused"
            with page.expect_navigation():  # the form's redirect lands before the page is reloaded
                page.get_by_role("button", name="Resume held").click()
            wait_until(lambda: campaigns.get(held).status == "done", what="the resumed campaign to finish")
            page.reload()
            expect(page.locator("section.campaign", has_text="held").locator("progress")).to_have_attribute(
                "value", "2"
            )
            page.screenshot(path=shots / "campaigns.png", full_page=True)
            api.close()

            page.get_by_role("link", name="Keys").click()
            page.get_by_role("button", name="Create a key").click()
            token = page.locator("code.token").inner_text()
            page.screenshot(path=shots / "keys.png", full_page=True, mask=[page.locator("code.token")])
            headers = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{served.url}/v1/messages", headers=headers).status_code == 200
            page.get_by_role("button", name=f"Revoke {token[:16]}").click()
            expect(page.locator("tbody")).to_contain_text("revoked")
            assert httpx.get(f"{served.url}/v1/messages", headers=headers).status_code == 401

            page.set_viewport_size({"width": 375, "height": 700})
            for name in ("Messages", "Send a test", "Providers", "Verifications", "Campaigns", "Keys"):
                with page.expect_navigation():  # measured on the new page, not the one it leaves
                    page.get_by_role("link", name=name).click()
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                assert page.evaluate("document.documentElement.scrollWidth") <= 375, name  # no sideways scrolling
                page.screenshot(path=shots / f"phone-{name.split()[0].lower()}.png", full_page=True)

            page.goto(f"{served.url}/ui/messages")
            page.keyboard.press("Tab")  # keyboard: the first stop is the brand link, then the menu in order
            assert page.evaluate("document.activeElement.textContent") == "smsgate"
            for _ in range(5):
                page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Campaigns"
            page.keyboard.press("Enter")
            expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Messages"
            context.close()
    store.close()
    assert sorted(p.name for p in shots.iterdir()) == [
        "campaigns.png",
        "keys.png",
        "login.png",
        "message.png",
        "messages.png",
        "phone-campaigns.png",
        "phone-keys.png",
        "phone-messages.png",
        "phone-providers.png",
        "phone-send.png",
        "phone-verifications.png",
        "providers.png",
        "send.png",
        "verifications.png",
    ]


def _held_campaign(store: SQLiteStore, folder: Path) -> str:
    """A campaign of the tenant's recorded as running, sent by no one until it is resumed."""
    source = folder / "held.csv"
    source.write_text("phone\n+14155550100\n+14155550101\n")
    campaign = Campaign(source, text="Hi", name="held")
    campaign.record(store, time.time())
    assign(store, "acme", campaign.id)
    return campaign.id
