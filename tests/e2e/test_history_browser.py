"""The history in a real browser: an agent finds last week's conversation by a word in it, the word is marked,
whatever markup a customer typed is shown as text and never runs, and the exports download."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import BROWSER_TESTS, agent_page, new_conversation, seeded_server
from tests.support import Server

pytestmark = BROWSER_TESTS
PAYLOAD = '<img src=x onerror="window.__ran=1"><script>window.__ran=1</script> zanzibar kettle'
SPY = "window.__ran = 0;"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = seeded_server(
        tmp_path_factory.mktemp("history"), services=[("shop", "Web Shop", "--mode", "human_only")]
    )
    yield server.start()
    server.stop()


def test_an_agent_finds_a_conversation_by_a_word_and_nothing_in_it_runs(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    found, auth = new_conversation(server, PAYLOAD)
    httpx.post(f"{server.url}/api/v1/conversations/{found}/end", headers=auth).raise_for_status()
    other, _ = new_conversation(server, "Where is my parcel?")
    page = agent_page(browser, contexts, server, "bob@example.com", "/conversations", init_scripts=[SPY])
    rows = page.get_by_test_id("conversation-row")
    expect(rows).to_have_count(2)
    page.get_by_test_id("search-input").fill("zanzi")
    page.get_by_test_id("search").click()
    expect(page).to_have_url(f"{server.url}/conversations?q=zanzi")  # a search to share and reload
    expect(rows).to_have_count(1)
    row = page.locator(f"[data-testid=conversation-row][data-conversation-id='{found}']")
    expect(row.locator("mark")).to_have_text("zanzibar")
    expect(row).to_contain_text('<img src=x onerror="window.__ran=1">')  # shown as the customer typed it
    assert page.evaluate("window.__ran") == 0
    assert page.locator(f"[data-conversation-id='{other}']").count() == 0

    row.click()
    expect(page).to_have_url(f"{server.url}/conversations/{found}")
    expect(page.get_by_test_id("timeline")).to_contain_text("Ended")
    expect(page.locator("[data-testid=message][data-role=user]")).to_contain_text(
        "<script>window.__ran=1</script>"
    )
    assert page.evaluate("window.__ran") == 0
    with page.expect_download() as download:
        page.get_by_role("button", name="Export JSON").click()
    assert download.value.suggested_filename == f"conversation-{found}.json"
    exported = download.value.path().read_text(encoding="utf-8")
    assert "zanzibar kettle" in exported


def test_an_admin_reads_todays_report_with_its_charts_and_downloads_the_figures(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    new_conversation(server, "How do I change my address?")
    page = agent_page(browser, contexts, server, "ada@example.com", "/reports?range=today")
    conversations = page.get_by_test_id("metric-conversations")
    expect(conversations).to_be_visible()
    count = int(conversations.inner_text())
    assert count >= 1  # this test's conversation at least (the module's server is shared)
    for chart in ("chart-per-day", "chart-load", "chart-flags"):  # ECharts drew each one
        expect(page.get_by_test_id(chart).locator("canvas").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    figures = dict(line.split(",", 1) for line in download.value.path().read_text().splitlines()[1:])
    assert int(figures["conversations"]) == count
    assert figures["first_day"] == figures["last_day"]  # today
