"""End to end in Debian's Chromium (Playwright, never ``playwright install``): sign in, send a test
through the Twilio emulator, find it by phone, see its receipt in the timeline, the providers page,
make and revoke a key. A screenshot of each page is kept under the test's tmp dir."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smsgate._config import Config
from smsgate.emulators import create, serve
from smsgate.emulators.receipts import ReceiptPusher
from smsgate.server import ApiKeys, create_app
from smsgate.stores.sqlite import SQLiteStore

from ..conftest import Served

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


def test_an_operator_session_end_to_end(browser, tmp_path, shots):
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

            pusher = ReceiptPusher(twilio, f"{served.url}/v1/webhooks/twilio/twilio")
            assert pusher.push_new() == [200]

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
            assert page.locator("svg.chart polyline").count() == 1
            page.screenshot(path=shots / "providers.png", full_page=True)

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
            page.get_by_role("link", name="Messages").click()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
            page.screenshot(path=shots / "phone.png", full_page=True)

            page.keyboard.press("Tab")  # keyboard: the first stop is the brand link
            assert page.evaluate("document.activeElement.textContent") == "smsgate"
            context.close()
    store.close()
    assert sorted(p.name for p in shots.iterdir()) == [
        "keys.png",
        "login.png",
        "message.png",
        "messages.png",
        "phone.png",
        "providers.png",
        "send.png",
    ]
