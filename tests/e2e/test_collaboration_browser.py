"""Two agents on one shift in real browsers: who is looking at what (presence), internal notes that never
reach the customer, canned replies typed with "/", the suggested reply after Take Over, and "An agent is
typing..." on the customer's chat page."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.e2e.conftest import BROWSER_TESTS, agent_page, new_page, seeded_server
from tests.support import Server

pytestmark = BROWSER_TESTS
SAMPLES = Path(__file__).resolve().parents[2] / "handoff" / "samples"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Human Only: the AI never answers, so every reply a customer sees is the agent's; the knowledge still
    # gives the agent a suggestion.
    shop = ("shop", "Web Shop", "--mode", "human_only", "--knowledge", str(SAMPLES / "shop"))
    agents = [("ada@example.com", "Ada Lovelace", True), ("bob@example.com", "Bob", False)]
    server = seeded_server(tmp_path_factory.mktemp("collaboration"), services=[shop], agents=agents)
    yield server.start()
    server.stop()


def customer_asks(browser: Browser, contexts: list[BrowserContext], server: Server, text: str) -> Page:
    """A customer on the chat page who asked `text` (made unique by the caller)."""
    page = new_page(browser, contexts, width=390, height=780)
    page.goto(f"{server.url}/chat/shop")
    page.wait_for_function("window.did_handshake === true")
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-input").press("Enter")
    expect(page.locator("[data-testid=message][data-role=user]")).to_have_count(1)
    return page


def card(page: Page, text: str) -> Locator:
    return page.locator("[data-testid=conversation-card]", has_text=text)


def open_card(page: Page, text: str) -> Locator:
    card(page, text).click()
    panel = page.get_by_test_id("conversation-panel")
    expect(panel).to_contain_text(text)
    return panel


def unique(text: str) -> str:
    return f"{text} ({uuid.uuid4().hex[:6]})"


def test_each_agent_sees_who_else_has_a_conversation_open(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    question = unique("Where is my parcel?")
    customer_asks(browser, contexts, server, question)
    ada = agent_page(browser, contexts, server, "ada@example.com")
    bob = agent_page(browser, contexts, server, "bob@example.com")
    # The header: who of the team is online, not oneself.
    expect(bob.locator("[data-testid=online-agent][title='Ada Lovelace']")).to_be_visible()
    expect(ada.locator("[data-testid=online-agent][title='Bob']")).to_be_visible()
    expect(ada.locator("[data-testid=online-agent][title='Ada Lovelace']")).to_have_count(0)

    open_card(ada, question)
    bobs_view = card(bob, question).get_by_test_id("viewers")
    expect(bobs_view).to_have_attribute("title", "Also viewing: Ada Lovelace")
    expect(bobs_view).to_contain_text("AL")  # her initials, her name on hover
    expect(card(ada, question).get_by_test_id("viewers")).to_have_count(0)  # never oneself

    bobs_panel = open_card(bob, question)
    expect(bobs_panel.get_by_test_id("viewers")).to_contain_text("Ada Lovelace")
    expect(ada.get_by_test_id("conversation-panel").get_by_test_id("viewers")).to_contain_text("Bob")

    ada.get_by_role("button", name="Close").click()  # Ada closes her panel: gone from Bob's screen
    expect(bobs_panel.get_by_test_id("viewers")).to_be_hidden()
    expect(card(ada, question).get_by_test_id("viewers")).to_have_attribute("title", "Also viewing: Bob")
    ada.close()  # and her tab: she is no longer online
    expect(bob.locator("[data-testid=online-agent][title='Ada Lovelace']")).to_have_count(0)


def test_a_note_is_for_agents_and_never_reaches_the_chat_page(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    question = unique("My order is late")
    chat = customer_asks(browser, contexts, server, question)
    ada = agent_page(browser, contexts, server, "ada@example.com")
    bob = agent_page(browser, contexts, server, "bob@example.com")
    bobs_panel = open_card(bob, question)
    panel = open_card(ada, question)
    panel.get_by_label("Note").fill("NOTE-7 refund approved by finance <b>x</b>")
    panel.get_by_role("button", name="Add note").click()
    note = panel.locator("[data-testid=message][data-role=note]")
    expect(note).to_contain_text("NOTE-7 refund approved by finance <b>x</b>")  # as text, never markup
    expect(note).to_contain_text("Ada Lovelace")
    expect(bobs_panel.locator("[data-testid=message][data-role=note]")).to_contain_text("NOTE-7")  # live
    expect(panel.get_by_label("Note")).to_have_value("")

    panel.get_by_test_id("take-over").click()
    panel.get_by_test_id("reply-input").fill("REPLY-7 it ships today")
    panel.get_by_test_id("send").click()
    expect(chat.locator("[data-testid=message][data-role=human]")).to_contain_text("REPLY-7")
    expect(chat.locator("body")).not_to_contain_text("NOTE-7")
    chat.reload()  # nor after a reload, which reads the conversation again
    expect(chat.locator("[data-testid=message][data-role=human]")).to_contain_text("REPLY-7")
    expect(chat.locator("body")).not_to_contain_text("NOTE-7")
    ada.reload()  # the note stays in the agents' transcript, in its place
    panel = open_card(ada, question)
    roles = panel.locator("[data-testid=message]")
    expect(roles.first).to_have_attribute("data-role", "user")
    expect(panel.locator("[data-role=note] + [data-role=system]")).to_have_count(1)  # before "joined"


def test_canned_replies_a_suggested_reply_and_the_customer_sees_the_agent_typing(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com", "/services/shop")
    editor = ada.get_by_test_id("canned-replies-editor")
    shortcut = f"late{uuid.uuid4().hex[:4]}"
    editor.get_by_label("Shortcut").fill(shortcut)
    editor.get_by_label("Reply").fill("Hi {customer_name}, {agent_name} here: sorry for the wait.")
    editor.get_by_role("button", name="Add canned reply").click()
    expect(editor.locator(f"[data-testid=canned-reply-row][data-shortcut={shortcut}]")).to_be_visible()

    question = unique("How long does shipping take?")
    chat = customer_asks(browser, contexts, server, question)
    ada.goto(f"{server.url}/handoff")
    panel = open_card(ada, question)
    expect(panel.get_by_test_id("suggested-reply")).to_have_count(0)  # only for the agent who took over
    panel.get_by_test_id("take-over").click()
    suggestion = panel.get_by_test_id("suggested-reply")
    expect(suggestion).to_contain_text("2 to 4 working days")  # the knowledge's answer, as a draft
    reply = panel.get_by_test_id("reply-input")
    expect(reply).to_have_value("")  # nothing is put in the box (or sent) until the agent says so
    suggestion.get_by_test_id("use-suggestion").click()
    expect(reply).to_have_value(re.compile("2 to 4 working days"))
    expect(chat.locator("[data-testid=message][data-role=human]")).to_have_count(0)

    reply.fill("")
    reply.press_sequentially(f"/{shortcut[:5]}")
    choice = panel.locator(f"[data-testid=canned-reply][data-shortcut={shortcut}]")
    expect(choice).to_be_visible()
    reply.press("Enter")  # the first match
    expect(reply).to_have_value("Hi there, Ada Lovelace here: sorry for the wait.")
    expect(choice).to_be_hidden()

    reply.press_sequentially(" Checking now.")
    typing = chat.get_by_test_id("typing")
    expect(typing).to_be_visible()
    expect(typing).to_have_text("An agent is typing...")
    panel.get_by_test_id("send").click()
    expect(chat.locator("[data-testid=message][data-role=human]")).to_have_text(
        re.compile("Hi there, Ada Lovelace here: sorry for the wait. Checking now.")
    )
    expect(typing).to_be_hidden()  # the reply arrived: nobody is typing any more
