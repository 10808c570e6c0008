"""The chat widget on a site of its own: a host page served from another port on `localhost`, the app on
`127.0.0.1` (another site to the browser: the frame gets no cookies and no storage), in Chromium."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, FrameLocator, Page, expect

from handoff.widget import sign
from tests.e2e.conftest import BROWSER_TESTS, agent_page, new_page
from tests.support import AGENT_PASSWORD, Server, free_port, run_cli

pytestmark = BROWSER_TESTS

HOST_STYLES = """<style>
  * { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
  button, div, iframe { background: rgb(0, 255, 0) !important; display: inline !important; }
</style>"""


class HostSite:
    """A company's own website: static pages on `http://localhost:<port>`, each with the widget's tag."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        handler = functools.partial(QuietHandler, directory=str(folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def page(self, name: str, app_url: str, *, service: str = "shop", body: str = "") -> str:
        (self.folder / name).write_text(
            f"<!doctype html><html><head><title>Our shop</title>{HOST_STYLES}</head><body>"
            f"<h1>Our shop</h1>{body}"
            f'<script src="{app_url}/widget.js" data-service="{service}" async></script></body></html>'
        )
        return f"{self.origin}/{name}"

    def __enter__(self) -> HostSite:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostSite]:
    with HostSite(tmp_path_factory.mktemp("site")) as site:
        yield site


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, site: HostSite) -> Iterator[Server]:
    """A first run (the sample services and their knowledge); "shop" may be embedded by the host site."""
    folder = tmp_path_factory.mktemp("widget")
    server = Server(
        f"sqlite+aiosqlite:///{folder / 'handoff.db'}",
        folder / "server.log",
        HANDOFF_ADMIN_EMAIL="ada@example.com",
        HANDOFF_ADMIN_PASSWORD=AGENT_PASSWORD,
    )
    server.start()
    changed = run_cli(
        server.database_url,
        "service", "set", "--slug", "shop", "--allowed-origins", site.origin,
        "--widget-color", "#00aa55", "--widget-greeting", "Hi! Ask the shop anything.",
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    yield server
    server.stop()


def chat(page: Page) -> FrameLocator:
    return page.frame_locator("[data-testid=handoff-frame]")


def say(frame: FrameLocator, text: str) -> None:
    frame.get_by_test_id("chat-input").fill(text)
    frame.get_by_test_id("chat-input").press("Enter")


def shopper(browser: Browser, contexts: list[BrowserContext], url: str, **size: int) -> Page:
    page = new_page(browser, contexts, **size)
    page.goto(url)
    return page


def test_a_customer_chats_from_the_widget_and_an_agent_answers(
    browser: Browser, contexts: list[BrowserContext], server: Server, site: HostSite
) -> None:
    page = shopper(browser, contexts, site.page("index.html", server.url))
    bubble = page.get_by_test_id("handoff-bubble")
    expect(bubble).to_be_visible()
    expect(bubble).to_have_css("background-color", "rgb(0, 170, 85)")  # the service's colour, not the site's
    expect(bubble).to_have_css("display", "flex")
    expect(page.get_by_test_id("handoff-panel")).to_be_hidden()

    bubble.click()
    frame = chat(page)
    expect(page.get_by_test_id("handoff-title")).to_have_text("Web Shop")
    expect(frame.get_by_test_id("chat-greeting")).to_have_text("Hi! Ask the shop anything.")
    expect(page.get_by_test_id("handoff-title")).to_have_css("font-size", "16px")  # the site's 40px kept out
    expect(page.locator("h1")).to_have_css("font-size", "40px")  # and the site keeps its own
    say(frame, "Do you ship to Canada?")
    expect(frame.locator("[data-testid=message][data-role=ai]")).to_contain_text("Canada")

    ada = agent_page(browser, contexts, server, "ada@example.com")
    card = ada.locator("[data-testid=conversation-card]").filter(has_text="Do you ship to Canada?")
    expect(card).to_be_visible()

    page.get_by_test_id("handoff-close").click()
    expect(page.get_by_test_id("handoff-panel")).to_be_hidden()
    card.click()
    ada.get_by_role("button", name="Take Over Conversation").click()
    ada.get_by_test_id("reply-input").fill("Hi! Which province are you in?")
    ada.get_by_test_id("reply-input").press("Control+Enter")
    unread = page.get_by_test_id("handoff-unread")
    expect(unread).to_have_text("2")  # "Admin ... has joined" and the reply, while the panel was closed
    expect(bubble).to_have_attribute("aria-label", "Chat with us (2 new)")

    bubble.click()
    expect(unread).to_be_hidden()
    expect(frame.locator("[data-testid=message][data-role=human]")).to_contain_text("Which province")

    page.reload()  # another page of the site, or the same again: the same conversation goes on
    page.get_by_test_id("handoff-bubble").click()
    expect(chat(page).locator("[data-testid=message][data-role=user] .hf-text")).to_have_text(
        ["Do you ship to Canada?"]
    )
    expect(chat(page).locator("[data-testid=message][data-role=human]")).to_contain_text("Which province")
    say(chat(page), "Ontario")
    panel = ada.get_by_test_id("conversation-panel")
    expect(panel.locator("[data-testid=message][data-role=user] .hf-text")).to_have_text(
        ["Do you ship to Canada?", "Ontario"]
    )


def test_a_site_that_is_not_allowed_gets_no_chat(
    browser: Browser, contexts: list[BrowserContext], server: Server, site: HostSite
) -> None:
    """The help desk lists no allowed origin: its widget shows no bubble (its settings refuse the site), and a
    frame of its chat that the site builds itself is refused by the browser (frame-ancestors)."""
    page = shopper(
        browser,
        contexts,
        site.page(
            "helpdesk.html",
            server.url,
            service="helpdesk",
            body=f'<iframe id="own" src="{server.url}/chat/helpdesk?embed=1&host={site.origin}"></iframe>',
        ),
    )
    refused = httpx.get(f"{server.url}/api/v1/services/helpdesk/widget", headers={"Origin": site.origin})
    assert refused.status_code == 403 and "allowed origins" in refused.json()["detail"]
    frame = httpx.get(f"{server.url}/chat/helpdesk", params={"embed": "1", "host": site.origin})
    assert "frame-ancestors 'none'" in frame.headers["content-security-policy"]
    expect(page.locator("#own")).to_be_attached()
    expect(page.get_by_test_id("handoff-bubble")).to_be_hidden()
    blocked = page.frame_locator("#own").get_by_test_id("chat-input")
    expect(blocked).to_have_count(0)  # the browser shows its own error page in the frame instead
    # and "shop", which allows the site, frames fine from it; the console never does
    shop = httpx.get(f"{server.url}/chat/shop", params={"embed": "1", "host": site.origin})
    assert f"frame-ancestors {site.origin}" in shop.headers["content-security-policy"]
    assert "x-frame-options" not in shop.headers
    console = httpx.get(f"{server.url}/login")
    assert "frame-ancestors 'none'" in console.headers["content-security-policy"]
    assert console.headers["x-frame-options"] == "DENY"


def test_a_signed_identity_names_the_customer_and_a_forged_one_is_refused(
    browser: Browser, contexts: list[BrowserContext], server: Server, site: HostSite
) -> None:
    turned_on = run_cli(server.database_url, "service", "set", "--slug", "shop", "--signed-identity", "on")
    assert turned_on.returncode == 0, turned_on.stderr
    secret = turned_on.stdout.split("widget identity secret: ")[1].strip()
    try:
        page = shopper(browser, contexts, site.page("account.html", server.url))
        expect(page.get_by_test_id("handoff-bubble")).to_be_visible()
        unsigned = page.evaluate(
            "Handoff.identify({name: 'Eve', external_id: 'c-42'}).then(() => 'accepted', e => e.message)"
        )
        assert "sign" in unsigned
        forged = page.evaluate(
            "s => Handoff.identify({name: 'Eve', external_id: 'c-42', signature: s})"
            ".then(() => 'accepted', e => e.message)",
            sign("not the secret", "c-42"),
        )
        assert "sign" in forged
        signed = page.evaluate(
            "s => Handoff.identify({name: 'Grace Hopper', external_id: 'c-42', signature: s})"
            ".then(() => 'accepted', e => e.message)",
            sign(secret, "c-42"),
        )
        assert signed == "accepted"
        page.get_by_test_id("handoff-bubble").click()
        say(chat(page), "Where is my parcel?")
        user_text = chat(page).locator("[data-testid=message][data-role=user] .hf-text")
        expect(user_text).to_have_text(["Where is my parcel?"])

        ada = agent_page(browser, contexts, server, "ada@example.com")
        card = ada.locator("[data-testid=conversation-card]").filter(has_text="Where is my parcel?")
        expect(card).to_contain_text("Grace Hopper")
        assert "Eve" not in card.inner_text()
    finally:
        off = run_cli(server.database_url, "service", "set", "--slug", "shop", "--signed-identity", "off")
        assert off.returncode == 0, off.stderr


def test_on_a_phone_the_chat_fills_the_screen(
    browser: Browser, contexts: list[BrowserContext], server: Server, site: HostSite
) -> None:
    page = shopper(browser, contexts, site.page("phone.html", server.url), width=390, height=780)
    page.get_by_test_id("handoff-bubble").click()
    panel = page.get_by_test_id("handoff-panel")
    expect(chat(page).get_by_test_id("chat-input")).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (390, 780)
    expect(page.get_by_test_id("handoff-bubble")).to_be_hidden()  # the panel's own Close takes its place
    page.get_by_test_id("handoff-close").click()
    expect(page.get_by_test_id("handoff-bubble")).to_be_visible()
