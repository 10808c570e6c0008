"""What needs a real browser: two agents at once, toasts and sound, the status dot, keyboard, escaping."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Route, expect

from handoff_ui.board_push import EVENT
from tests.e2e.conftest import (
    BROWSER_TESTS,
    Recorded,
    agent_page,
    card,
    new_conversation,
    push_below_window,
    seeded_server,
)
from tests.support import Server

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = seeded_server(tmp_path_factory.mktemp("console")).start()
    yield server
    server.stop()


def test_two_agents_one_conversation(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    bob = agent_page(browser, contexts, server, "bob@example.com")
    cid, _ = new_conversation(server, "My parcel never arrived")
    card(ada, cid).click()
    card(bob, cid).click()
    ada.get_by_role("button", name="Take Over Conversation").click()

    expect(card(bob, cid)).to_have_attribute("data-status", "paused")
    expect(bob.get_by_test_id("claim-banner")).to_contain_text("Ada")
    expect(bob.get_by_role("button", name="Take Over Conversation")).to_be_disabled()
    expect(ada.get_by_test_id("reply-input")).to_be_visible()

    ada.get_by_test_id("reply-input").fill("Hi, Ada here. Checking now.")
    ada.keyboard.press("Control+Enter")  # sends without the mouse
    for page in (ada, bob):
        expect(page.locator("[data-testid=message][data-role=human]")).to_contain_text("Ada here")
    expect(ada.get_by_test_id("reply-input")).to_have_value("")

    ada.get_by_role("button", name="Release").click()
    expect(bob.get_by_test_id("claim-banner")).to_have_count(0)
    bob.get_by_role("button", name="Take Over Conversation").click()
    expect(ada.get_by_test_id("claim-banner")).to_contain_text("Bob")
    expect(ada.get_by_role("button", name="Take Over Conversation")).to_be_disabled()
    expect(card(ada, cid)).to_contain_text("Claimed by Bob")


def test_a_card_follows_its_conversation_in_place(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    cid, auth = new_conversation(server, "Where is my parcel?")
    status, meta = card(ada, cid).locator(".hf-status-badge"), card(ada, cid).locator(".hf-meta")
    expect(status).to_have_text("AI Active")
    expect(status).to_have_class(re.compile(r"\bbg-positive\b"))
    expect(meta).to_have_text("· 1 message")
    drawn = card(ada, cid).element_handle()

    url = f"{server.url}/api/v1/conversations/{cid}/messages"
    httpx.post(url, json={"text": "Any news?"}, headers=auth).raise_for_status()
    expect(meta).to_have_text("· 2 messages")  # the line in its own component, updated by Vue
    card(ada, cid).click()
    ada.get_by_role("button", name="Take Over Conversation").click()
    expect(status).to_have_text("Paused")
    expect(status).to_have_class(re.compile(r"\bbg-warning\b"))
    expect(status).not_to_have_class(re.compile(r"\bbg-positive\b"))
    expect(meta).to_have_text("· 2 messages · Claimed by Ada")
    assert card(ada, cid).evaluate("(now, before) => now === before", drawn)  # the same card, changed


def test_a_new_flag_sounds_and_toasts_on_the_help_page(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    bob = agent_page(browser, contexts, server, "bob@example.com", path="/help")
    expect(bob.get_by_role("heading", name="Help").first).to_be_visible()
    bob.mouse.click(5, 300)  # browsers allow sound only after a first click
    cid, auth = new_conversation(server, "What are your opening hours?", service="bank")
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=auth).raise_for_status()

    toast = bob.locator(".q-notification").filter(has_text="Help Requested")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("What are your opening hours?")
    # It is there at once, not sliding in: no transition runs on it (console.css; each frame of one costs)
    assert toast.evaluate("toast => toast.getAnimations().length") == 0
    bob.wait_for_function("window.__plays >= 1")
    # The chime is not preloaded (an idle preloaded audio element keeps the browser's audio service busy):
    # it loads when it first plays, and it does play.
    bob.wait_for_function("document.getElementById('handoff-chime').played.length > 0")
    toast.get_by_role("button", name="Open").click()
    expect(bob).to_have_url(re.compile(rf"/handoff\?conversation={cid}$"))
    expect(bob.get_by_test_id("conversation-panel")).to_contain_text("What are your opening hours?")


PULSE = """(card) => card.getAnimations({subtree: true})
    .filter((a) => a.id === "hf-pulse")
    .map((a) => ({state: a.playState, halo: a.effect.target.classList.contains("hf-halo"),
                  endless: a.effect.getComputedTiming().iterations === Infinity}))"""
PULSING = [{"state": "running", "halo": True, "endless": True}]


def test_a_card_that_needs_a_human_has_a_pulsing_red_border(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    cid, auth = new_conversation(server, "Do you ship to Spain?")
    expect(card(ada, cid)).to_have_attribute("data-attention", "false")
    assert card(ada, cid).evaluate(PULSE) == []
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=auth).raise_for_status()

    expect(card(ada, cid)).to_have_attribute("data-attention", "true")
    expect(card(ada, cid)).to_have_css("border-top-color", "rgb(220, 38, 38)")
    assert card(ada, cid).evaluate(PULSE) == PULSING

    # The halo shows around the card (nothing clips it to the card's box). Motion off: the halo holds still.
    ada.emulate_media(reduced_motion="reduce")
    box = card(ada, cid).bounding_box()
    assert box is not None
    around = {"x": box["x"] - 6, "y": box["y"] - 6, "width": box["width"] + 12, "height": box["height"] + 12}
    picture = Image.open(io.BytesIO(ada.screenshot(clip=around))).convert("RGB")
    red, green, _ = picture.getpixel((3, picture.height // 2))  # 3 px outside the card's left border
    assert red - green > 40, (red, green)


def test_a_red_card_rests_while_it_is_off_screen(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    cid, auth = new_conversation(server, "Hello? Anyone there?")
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=auth).raise_for_status()
    red = card(ada, cid)
    expect(red).to_have_attribute("data-attention", "true")
    expect(red).to_have_attribute("data-watched", "")  # console.js follows it
    expect(red).not_to_have_attribute("data-offscreen", re.compile(".*"))
    assert red.evaluate(PULSE) == PULSING

    push_below_window(ada)
    expect(red).to_have_attribute("data-offscreen", "")
    assert red.evaluate(PULSE) == []
    expect(red).to_have_attribute("data-attention", "true")  # still red: only the motion rests

    red.scroll_into_view_if_needed()
    expect(red).not_to_have_attribute("data-offscreen", re.compile(".*"))
    assert red.evaluate(PULSE) == PULSING


IN_STEP = """() => {
    const pulses = document.getAnimations().filter((a) => a.id === "hf-pulse");
    const points = new Set(pulses.map((a) => a.currentTime));  // one moment of the page's timeline
    return pulses.length >= 2 && points.size === 1;
}"""


def test_red_cards_pulse_in_step_after_one_moves(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    """A red card moved to the front is put back into the page: its halo pulses on, the same pulse, not one
    started again (which drew a second frame for the message on every page), in step with the others (one
    started at a moment of its own drew a frame for each of its steps; issue 17)."""
    ada = agent_page(browser, contexts, server, "ada@example.com")
    older, older_auth = new_conversation(server, "Where is my parcel?")
    newer, newer_auth = new_conversation(server, "I was charged twice")
    for cid, auth in ((older, older_auth), (newer, newer_auth)):
        httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=auth).raise_for_status()
        expect(card(ada, cid)).to_have_attribute("data-attention", "true")
    cards = ada.locator("[data-testid=service-shop] [data-testid=conversation-card]")
    expect(cards.first).to_have_attribute("data-conversation-id", newer)
    ada.wait_for_function(IN_STEP)
    card(ada, older).evaluate("(card) => { window.__pulse = card.getAnimations({subtree: true})[0]; }")

    post = f"{server.url}/api/v1/conversations/{older}/messages"
    httpx.post(post, json={"text": "Hello? Anyone?"}, headers=older_auth).raise_for_status()
    expect(cards.first).to_have_attribute("data-conversation-id", older)  # moved
    assert card(ada, older).evaluate(PULSE) == PULSING
    assert card(ada, older).evaluate("(card) => card.getAnimations({subtree: true})[0] === window.__pulse")
    ada.wait_for_function(IN_STEP)


def test_the_sound_toggle_silences_notifications(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    bob = agent_page(browser, contexts, server, "bob@example.com")
    toggle = bob.get_by_test_id("sound-toggle")
    expect(toggle).to_have_attribute("data-enabled", "true")
    toggle.click()
    expect(toggle).to_have_attribute("data-enabled", "false")
    cid, auth = new_conversation(server, "Where do I sign?")
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=auth).raise_for_status()
    expect(bob.locator(".q-notification").filter(has_text="Where do I sign?")).to_be_visible()
    assert bob.evaluate("window.__plays") == 0
    toggle.click()  # back on, and remembered for the next page
    expect(toggle).to_have_attribute("data-enabled", "true")


def test_customer_markup_is_shown_as_text_and_never_run(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    attack = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 1"> hello'
    cid, _ = new_conversation(server, attack)
    expect(card(ada, cid)).to_contain_text("<script>window.__owned = 1</script>")
    card(ada, cid).click()
    expect(ada.locator("[data-testid=message][data-role=user]")).to_contain_text(
        '<img src=x onerror="window.__owned = 1">'
    )
    assert ada.evaluate("window.__owned") is None


def test_a_mode_change_reaches_the_other_agent(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    bob = agent_page(browser, contexts, server, "bob@example.com")
    expect(bob.get_by_test_id("service-bank")).to_have_attribute("data-mode", "human_supported")
    ada.get_by_test_id("service-bank").get_by_role("button", name="Human Only").click()
    expect(bob.get_by_test_id("service-bank")).to_have_attribute("data-mode", "human_only")
    expect(bob.get_by_test_id("service-bank").get_by_role("button", name="Human Only")).to_be_disabled()
    ada.get_by_test_id("set-all-services").get_by_role("button", name="Human-Supported AI").click()
    for slug in ("shop", "bank"):
        expect(bob.get_by_test_id(f"service-{slug}")).to_have_attribute("data-mode", "human_supported")


def test_the_status_dot_follows_a_server_restart(
    browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    server = seeded_server(tmp_path).start()
    try:
        ada = agent_page(browser, contexts, server, "ada@example.com")
        status = ada.get_by_test_id("connection-status")
        expect(status).to_contain_text("Connected")
        server.kill()
        expect(status).not_to_have_attribute("data-state", "connected")
        expect(status).to_have_attribute("data-state", re.compile("disconnected|connecting"))
        server.start()
        expect(status).to_have_attribute("data-state", "connected", timeout=30_000)
        expect(ada).to_have_url(re.compile(r"/handoff$"))
        expect(ada.get_by_test_id("stat-active")).to_be_visible()  # still logged in
    finally:
        server.stop()


ESM_RULE = """() => [...document.styleSheets].some((sheet) =>
    [...sheet.cssRules].some((rule) => rule.selectorText === "#esm-fallback ~ *"))"""
SHOWN = "cards => cards.map((card) => card.dataset.conversationId)"


def human_only_shop(tmp_path: Path, count: int) -> tuple[Server, list[tuple[str, dict[str, str]]]]:
    """A started server with one Human Only service (no AI answers) and `count` conversations in it,
    "Question 0" first; Ada is its admin."""
    shop = ("shop", "Web Shop", "--mode", "human_only")
    server = seeded_server(tmp_path, services=[shop], agents=[("ada@example.com", "Ada", True)]).start()
    try:
        return server, [new_conversation(server, f"Question {n}") for n in range(count)]
    except BaseException:
        server.stop()
        raise
BOARD = """(section) => {
    const copy = section.cloneNode(true);  // as the page shows it, without NiceGUI's ids of its elements
    copy.querySelectorAll("[id]").forEach((element) => element.removeAttribute("id"));
    return copy.innerHTML;
}"""


def test_a_card_moves_enters_and_leaves_as_one_element(
    browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    """A message moves its card to the front: the same element, the others kept in order. A conversation
    below the cards shown enters at the front on the card that left the list, and that card then opens the
    conversation it shows. The entering card came as a board push; the page shows what a page opened afresh
    shows."""
    server, started = human_only_shop(tmp_path, 18)
    try:
        ids = [cid for cid, _ in started]
        sockets: list[Recorded] = []
        ada = agent_page(browser, contexts, server, "ada@example.com", sockets=sockets)
        cards = ada.locator("[data-testid=service-shop] [data-testid=conversation-card]")
        expect(cards).to_have_count(16)
        expect(cards.first).to_have_attribute("data-conversation-id", ids[17])  # the newest first
        assert cards.evaluate_all(SHOWN) == ids[17:1:-1]  # Question 0 and 1 below the 16 shown
        assert not ada.evaluate(ESM_RULE)  # NiceGUI's rule that restyled every card on each move is gone

        moved = card(ada, ids[12]).element_handle()
        post = f"{server.url}/api/v1/conversations/{ids[12]}/messages"
        httpx.post(post, json={"text": "Any news?"}, headers=started[12][1]).raise_for_status()
        expect(cards.first).to_have_attribute("data-conversation-id", ids[12])
        assert cards.first.evaluate("(now, before) => now === before", moved)  # moved, not drawn again
        assert cards.evaluate_all(SHOWN) == [ids[12], *ids[17:12:-1], *ids[11:1:-1]]
        expect(card(ada, ids[12]).locator(".hf-meta")).to_have_text("· 2 messages")

        leaving = card(ada, ids[2]).element_handle()  # the last card shown
        post = f"{server.url}/api/v1/conversations/{ids[0]}/messages"
        httpx.post(post, json={"text": "Hello?"}, headers=started[0][1]).raise_for_status()
        expect(cards.first).to_have_attribute("data-conversation-id", ids[0])
        expect(cards).to_have_count(16)
        expect(card(ada, ids[2])).to_have_count(0)
        assert cards.evaluate_all(SHOWN) == [ids[0], ids[12], *ids[17:12:-1], *ids[11:2:-1]]
        entered = card(ada, ids[0])
        assert entered.evaluate("(now, before) => now === before", leaving)  # the same element, shown anew
        expect(entered).to_contain_text("Question 0")
        expect(entered.locator(".hf-meta")).to_have_text("· 2 messages")
        expect(entered.locator(".hf-started")).to_have_text("just now")
        expect(ada.locator("[data-testid=service-shop]")).to_contain_text("2 more conversations")
        assert sockets[-1].pushes() == 1  # the entering card: one packet shared by every page following it
        fresh = agent_page(browser, contexts, server, "ada@example.com")
        board = "[data-testid=service-shop] .grid"
        assert ada.locator(board).evaluate(BOARD) == fresh.locator(board).evaluate(BOARD)
        entered.click()
        expect(ada.get_by_test_id("conversation-panel")).to_contain_text("Question 0")
        expect(ada.get_by_test_id("conversation-panel")).to_contain_text("Hello?")
    finally:
        server.stop()


HOLD_QUEUE = """() => {
    // NiceGUI works through its messages one at a time: one that loads a component's code holds the rest.
    const held = { key: "held-by-test", tag: "held-by-test" };
    window.socket.listeners("load_js_components")[0]({ components: [held] });
}"""
OLDER_COUNT = """() => {
    // An update NiceGUI sent before the push, still waiting in its queue: the last card's count as it is.
    const cards = document.querySelectorAll("[data-testid=conversation-card]");
    const count = cards[cards.length - 1].querySelector(".hf-meta > *").id.substring(1);
    window.socket.listeners("update")[0]({ [count]: { ...mounted_app.elements[count] } });
}"""
PUSHED = re.compile(rf'^42\["{EVENT}"')


def test_a_board_push_waits_its_turn_behind_nicegui_s_messages(
    browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    """A push that arrives while NiceGUI's messages wait behind one that is loading code is applied after
    them: an older update of the same card, sent before the push, does not undo it."""
    server, started = human_only_shop(tmp_path, 17)  # 16 shown: Question 0 below
    try:
        (below, auth), last = started[0], started[1][0]
        sockets: list[Recorded] = []
        ada = agent_page(browser, contexts, server, "ada@example.com", sockets=sockets)
        expect(card(ada, last).locator(".hf-meta")).to_have_text("· 1 message")
        held: list[Route] = []
        ada.route("**/components/held-by-test", lambda route: held.append(route))
        ada.evaluate(HOLD_QUEUE)
        ada.evaluate(OLDER_COUNT)
        post = f"{server.url}/api/v1/conversations/{below}/messages"
        with sockets[-1].socket.expect_event("framereceived", lambda frame: bool(PUSHED.match(str(frame)))):
            httpx.post(post, json={"text": "Any news?"}, headers=auth).raise_for_status()
        expect(card(ada, last)).to_have_count(1)  # the push waits its turn
        assert len(held) == 1
        held[0].fulfill(body="export default {};", content_type="text/javascript")
        expect(card(ada, below).locator(".hf-meta")).to_have_text("· 2 messages")
        expect(card(ada, last)).to_have_count(0)
    finally:
        server.stop()


def test_a_page_back_from_a_lost_connection_is_sent_its_board_again(
    browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    """A push the page never applied (here its grid stopped listening; a lost connection can drop one too) is
    made good once its socket connects again: NiceGUI's history has no pushes, so the board is sent anew."""
    server, started = human_only_shop(tmp_path, 17)  # 16 shown: Question 0 below
    try:
        (below, auth), last = started[0], started[1][0]
        ada = agent_page(browser, contexts, server, "ada@example.com")
        expect(card(ada, last)).to_have_count(1)
        ada.evaluate('() => window.socket.off("handoff_card")')  # from here on, the page misses every push
        post = f"{server.url}/api/v1/conversations/{below}/messages"
        httpx.post(post, json={"text": "Any news?"}, headers=auth).raise_for_status()  # pushed on answering
        ada.evaluate("() => window.socket.io.engine.close()")  # the connection drops; socket.io reconnects
        expect(card(ada, below).locator(".hf-meta")).to_have_text("· 2 messages")
        expect(card(ada, last)).to_have_count(0)
        expect(ada.get_by_test_id("connection-status")).to_have_attribute("data-state", "connected")
    finally:
        server.stop()
