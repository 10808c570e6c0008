"""Hostile text everywhere it is shown, in Chromium: every payload of tests/e2e/xss.py typed by a customer on
the chat page, sent as opening questions and customer names through the API, written as internal notes, as an
agent's name, as the agent's replies and as knowledge. On the chat page, the console screen and its cards and
toasts, the panel and its suggested reply, the history list and search, a conversation's page, its exports
and the knowledge page, no payload runs (the spy stays untouched) and each shows exactly as typed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import BROWSER_TESTS, agent_page, new_page, seeded_server, take_over
from tests.e2e.xss import PAYLOADS, SCAN, SPY, assert_untouched, texts
from tests.support import Server

pytestmark = BROWSER_TESTS

ZEBRA = "How do I track my zebra parcel?"
ZEBRA_ANSWER = '<a href="javascript:__xss(100)">Track it here</a> <img src=x onerror=__xss(101)>'
HEADING = "<svg onload=__xss(102)> Can I return a used kettle?"
EVE = "<img src=x onerror=__xss(103)>Eve"
REPLIES = PAYLOADS[:5]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("xss")
    knowledge = folder / "knowledge"
    knowledge.mkdir()
    (knowledge / "orders.md").write_text(
        f"# Orders <b>&amp;</b> Tracking\n\n## {ZEBRA}\n{ZEBRA_ANSWER}\n\n## {HEADING}\n{PAYLOADS[2]}\n"
    )
    seeded = seeded_server(
        folder,
        services=[("shop", "Web Shop", "--knowledge", str(knowledge))],
        agents=[("ada@example.com", "Ada", True), ("eve@example.com", EVE, False)],
    )
    server = Server(seeded.database_url, seeded.log_path, HANDOFF_CHAT_MESSAGES_PER_MINUTE="1000")
    yield server.start()
    server.stop()


def user_texts(page: Page, within: str = "") -> list[str]:
    return texts(page, f"{within} [data-testid=message][data-role=user] .hf-text".strip())


def say(page: Page, text: str, count: int) -> None:
    """Type and send one message on the chat page; done once it is the `count`th of the customer's."""
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-input").press("Enter")
    expect(page.locator("[data-testid=message][data-role=user]")).to_have_count(count)


def download(page: Page, button: str) -> str:
    with page.expect_download() as started:
        page.get_by_role("button", name=button).click()
    return Path(started.value.path()).read_text(encoding="utf-8")


def test_the_spy_trips_on_a_payload_that_reaches_the_page_as_markup(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    """The spy is not blind: markup put in the page the way a careless view would (innerHTML) is found."""
    page = new_page(browser, contexts, init_scripts=[SPY])
    page.goto(server.url + "/login")
    page.evaluate("html => document.body.insertAdjacentHTML('beforeend', html)", PAYLOADS[1] + PAYLOADS[8])
    expect(page.locator("img[src=x]")).to_have_count(1)
    page.wait_for_function("window.__violations.length > 0")  # the policy blocked the inline handler
    assert "script-src-attr" in page.evaluate("window.__violations")[0]
    assert page.evaluate(SCAN) == ["IMG onerror", "IMG", "A href=javascript:__xss(9)"]
    page.evaluate("__xss(0)")
    assert page.evaluate("window.__xss_hits") == ["0"]


def test_no_payload_runs_anywhere_and_each_shows_as_typed(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com", init_scripts=[SPY])

    # Opening questions and customer names, through the API: cards, flags and toasts on the console screen.
    openings: dict[str, str] = {}
    for payload in PAYLOADS:
        started = httpx.post(
            f"{server.url}/api/v1/conversations",
            json={"service": "shop", "text": payload, "customer": {"name": payload[:200]}},
        )
        assert started.status_code == 201, started.text
        openings[started.json()["id"]] = payload
    cards = ada.locator("[data-testid=conversation-card]")
    expect(cards.first).to_be_visible()
    expect(ada.get_by_test_id("attention-toast").first).to_be_visible()  # the AI could not answer them
    shown = ada.eval_on_selector_all(
        "[data-testid=conversation-card]",
        "els => els.map(e => [e.dataset.conversationId, e.querySelector('.hf-question').textContent])",
    )
    assert len(shown) >= 10
    assert all(openings[cid] == question for cid, question in shown)
    captions = texts(ada, "[data-testid=attention-toast] .q-notification__caption")
    assert captions and all(caption in {p[:120] for p in PAYLOADS} for caption in captions)
    assert_untouched(ada, "console screen with payload cards and toasts")

    # Every payload typed by a customer on the chat page; the AI answers from hostile knowledge.
    shopper = new_page(browser, contexts, width=390, height=780, init_scripts=[SPY])
    shopper.goto(server.url + "/chat/shop")
    shopper.wait_for_function("window.did_handshake === true")
    say(shopper, ZEBRA, 1)
    expect(shopper.locator("[data-testid=message][data-role=ai] .hf-text")).to_have_text(ZEBRA_ANSWER)
    for count, payload in enumerate(PAYLOADS, start=2):
        say(shopper, payload, count)
    say(shopper, ZEBRA, len(PAYLOADS) + 2)  # the latest question is one the knowledge answers
    typed = [ZEBRA, *PAYLOADS, ZEBRA]
    assert user_texts(shopper) == typed
    card = cards.filter(has_text=ZEBRA)
    expect(card).to_have_count(1)
    cid = card.get_attribute("data-conversation-id")
    assert cid is not None

    # The panel: the whole transcript as text, and every payload written as an internal note.
    card.click()
    panel = "[data-testid=conversation-panel]"
    expect(ada.locator(f"{panel} [data-testid=message][data-role=user]")).to_have_count(len(typed))
    assert user_texts(ada, panel) == typed
    for count, payload in enumerate(PAYLOADS, start=1):
        ada.get_by_test_id("note-input").fill(payload)
        ada.get_by_test_id("add-note").click()
        expect(ada.locator(f"{panel} [data-testid=message][data-role=note]")).to_have_count(count)
    assert texts(ada, f"{panel} [data-testid=message][data-role=note] .hf-text") == list(PAYLOADS)
    assert_untouched(ada, "panel with payload messages and notes")

    # An agent whose name is a payload takes over, sees the suggested reply and replies with payloads.
    eve = agent_page(browser, contexts, server, "eve@example.com", init_scripts=[SPY])
    take_over(eve, cid)
    expect(eve.get_by_test_id("suggestion-text")).to_have_text(ZEBRA_ANSWER)
    for count, reply in enumerate(REPLIES, start=1):
        eve.get_by_test_id("reply-input").fill(reply)
        eve.get_by_test_id("send").click()
        expect(shopper.locator("[data-testid=message][data-role=human]")).to_have_count(count)
    assert texts(shopper, "[data-testid=message][data-role=human] .hf-text") == list(REPLIES)
    expect(shopper.locator("[data-testid=message][data-role=system] .hf-text").last).to_have_text(
        f"{EVE} (a human agent) has joined the conversation."
    )
    expect(ada.get_by_test_id("claim-banner")).to_contain_text(f"{EVE} has taken over this conversation.")
    assert_untouched(eve, "the panel of an agent named with a payload")
    assert_untouched(shopper, "chat page")
    assert_untouched(ada, "console screen after the take-over")

    # History: the list, a search, the conversation's page and every export.
    ada.goto(server.url + "/conversations")
    rows = ada.get_by_test_id("conversation-row")
    expect(rows.first).to_be_visible()
    listed = ada.eval_on_selector_all(
        "[data-testid=conversation-row]", "els => els.map(e => [e.dataset.conversationId, e.textContent])"
    )
    assert sum(openings[row_id][:80] in text for row_id, text in listed if row_id in openings) >= 10
    csv_rows = list(csv.DictReader(io.StringIO(download(ada, "Export CSV"))))
    exported = {row["id"]: row for row in csv_rows}
    assert set(openings) <= set(exported)
    assert all(payload in exported[row_id].values() for row_id, payload in openings.items())
    assert_untouched(ada, "history list")

    ada.goto(server.url + "/conversations?q=zebra")
    expect(rows).to_have_count(1)
    expect(rows.locator("mark").first).to_have_text("zebra")
    assert_untouched(ada, "history search")

    ada.goto(f"{server.url}/conversations/{cid}")
    expect(ada.locator("[data-testid=message][data-role=user]")).to_have_count(len(typed))
    assert user_texts(ada) == typed
    expect(ada.get_by_text(EVE, exact=True).first).to_be_visible()  # the holder's badge
    assert texts(ada, "[data-testid=message][data-role=note] .hf-text") == list(PAYLOADS)
    record = json.loads(download(ada, "Export JSON"))
    assert [m["text"] for m in record["messages"] if m["role"] == "user"] == typed
    assert "notes" not in record  # the customer's view
    exported_text = download(ada, "Export text")
    assert all(payload in exported_text for payload in (*typed, *REPLIES))
    assert_untouched(ada, "a conversation's page and its exports")

    # The knowledge page, where the hostile entries are edited.
    ada.goto(server.url + "/services/shop/knowledge")
    expect(ada.get_by_test_id("knowledge-entry").first).to_be_visible()
    entries = " ".join(texts(ada, "[data-testid=knowledge-entry]"))
    assert HEADING in entries and ZEBRA in entries
    assert_untouched(ada, "knowledge page")
