"""The agent's workspace in a real browser: a panel that covers nothing, badges that never clip, toasts that
never pile up, reminders, the tab title and desktop notifications. Everything timed runs on the page's own
clock, which the tests hold still and move on (Playwright's clock), never on sleeps."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.conftest import (
    BROWSER_TESTS,
    agent_page,
    card,
    new_conversation,
    push_below_window,
    seeded_server,
    take_over,
)
from tests.support import Server, run_cli

pytestmark = BROWSER_TESTS
REMIND_AFTER = 10  # seconds: the shop's "Remind after", the least a service may set

# A Notification that records what it was asked to show, in a browser that has granted permission, and a tab
# the test can hide (document.hidden) as a browser does when the agent looks at another tab.
NOTIFICATION_SPY = """
window.__notes = [];
window.__hidden = false;
Object.defineProperty(document, "hidden", { get: () => window.__hidden, configurable: true });
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) {
    this.title = title; this.body = (options || {}).body; window.__notes.push(this);
  }
  close() { this.closed = true; }
};
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # Human Only: the AI never answers, so the only flags are the ones a test raises.
    services = [("shop", "Web Shop", "--mode", "human_only"), ("bank", "Bank", "--mode", "human_only")]
    agents = [("ada@example.com", "Ada", True), ("bob@example.com", "Bob", False)]
    agents.append(("cy@example.com", "Cy", False))
    server = seeded_server(tmp_path_factory.mktemp("workspace"), services=services, agents=agents)
    remind = ("service", "set", "--slug", "shop", "--remind-after", str(REMIND_AFTER))
    reminded = run_cli(server.database_url, *remind)
    assert reminded.returncode == 0, reminded.stderr
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def started(server: Server) -> Iterator[list[tuple[str, dict[str, str]]]]:
    """The conversations a test started, ended after it: each test begins with nobody waiting."""
    conversations: list[tuple[str, dict[str, str]]] = []
    server.started = conversations  # type: ignore[attr-defined]
    yield conversations
    for cid, auth in conversations:
        httpx.post(f"{server.url}/api/v1/conversations/{cid}/end", headers=auth)


def help_requested(server: Server, text: str, service: str = "shop") -> tuple[str, dict[str, str]]:
    """A new conversation whose customer asks for a human: it needs attention at once."""
    cid, auth = new_conversation(server, text, service=service)
    server.started.append((cid, auth))  # type: ignore[attr-defined]
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=auth).raise_for_status()
    return cid, auth


def end(server: Server, cid: str, auth: dict[str, str]) -> None:
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/end", headers=auth).raise_for_status()


def hold_clock(page: Page) -> None:
    """From now on the page's time moves only when the test moves it, and the alerts' timers with it. The
    clock is replaced once the page is connected: the socket keeps the browser's own timers (its ping
    timeout would fire on every jump of a replaced clock and reconnect the page)."""
    ticks = page.evaluate("window.handoffAlerts.ticks()")
    page.clock.install()
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
    # The alerts tick armed before the clock was replaced runs once more on the browser's own timers; from
    # then on each tick is armed on the held clock.
    page.wait_for_function("(before) => window.handoffAlerts.ticks() > before", arg=ticks)


def clocked_agent_page(
    browser: Browser,
    contexts: list[BrowserContext],
    server: Server,
    email: str,
    path: str = "/handoff",
    *,
    hold: bool = True,
) -> Page:
    """An agent's page with the Notification spy, clicked once (browsers allow sound only after a first
    click), its clock then held (or later, by the test: a held clock stands still while other pages log in,
    and a flag raised after that would lie in its future)."""
    page = agent_page(browser, contexts, server, email, path, init_scripts=[NOTIFICATION_SPY])
    page.wait_for_function("window.handoffAlerts !== undefined")
    page.mouse.click(5, 500)
    if hold:
        hold_clock(page)
    return page


def toasts(page: Page, cid: str | None = None) -> Locator:
    """The toasts shown, not those on their way out (Quasar's leave transition runs on the held clock)."""
    found = page.locator(".q-notification[data-testid=attention-toast]:not([class*='-leave-'])")
    return found if cid is None else found.and_(page.locator(f"[data-conversation-id='{cid}']"))


def ring(page: Page, *cids: str) -> None:
    """Once the page knows that these conversations wait, move its clock past the hold before alerting."""
    known = "(ids) => ids.every((id) => window.handoffAlerts.waiting().includes(id))"
    page.wait_for_function(known, arg=list(cids))
    page.clock.run_for(3000)


def hits(page: Page, target: Locator) -> bool:
    """Whether a click at the centre of `target` lands on it (nothing lies over it), once what moves on the
    page (a drawer sliding out, its backdrop fading) has settled: within 5 s."""
    try:
        page.wait_for_function(
            """(el) => { const r = el.getBoundingClientRect();
            const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return hit !== null && (hit === el || el.contains(hit)); }""",
            arg=target.element_handle(),
            timeout=5000,
        )
    except PlaywrightTimeout:
        return False
    return True


def test_the_open_panel_makes_room_and_covers_nothing(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    for n in range(6):
        help_requested(server, f"Panel room question {n}", service="bank" if n % 2 else "shop")
    ada = agent_page(browser, contexts, server, "ada@example.com")
    ada.set_viewport_size({"width": 1400, "height": 1000})
    ada.get_by_test_id("conversation-card").first.click()
    panel = ada.get_by_test_id("conversation-panel")
    expect(panel).to_be_visible()
    expect(ada.locator(".q-page-container")).to_have_css("padding-right", "480px")  # the page made room
    set_all = ada.get_by_test_id("set-all-services").get_by_role("button")
    assert set_all.count() == 3
    for button in set_all.all():
        assert hits(ada, button), button.inner_text()
    visible_cards = [c for c in ada.get_by_test_id("conversation-card").all() if c.is_visible()]
    assert len(visible_cards) >= 6
    for each in visible_cards:
        each.scroll_into_view_if_needed()
        assert hits(ada, each), each.get_attribute("data-conversation-id")

    # A narrow window: the panel lies over the page, and a click beside it is the way back.
    ada.set_viewport_size({"width": 900, "height": 900})
    expect(panel).to_be_visible()
    ada.mouse.click(100, 500)
    expect(panel).not_to_be_in_viewport()
    assert hits(ada, ada.get_by_test_id("set-all-services").get_by_role("button").first)


def test_every_badge_of_a_card_is_shown_whole(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    cid, auth = help_requested(server, "My parcel never came")
    post = f"{server.url}/api/v1/conversations/{cid}/messages"
    angry = "This is terrible, awful service. I am furious and disgusted."
    httpx.post(post, json={"text": angry}, headers=auth).raise_for_status()
    ada = agent_page(browser, contexts, server, "ada@example.com")
    ada.set_viewport_size({"width": 700, "height": 900})  # the narrowest cards: one column of 280 px and more
    badges = card(ada, cid).get_by_test_id("flag-badge")
    expect(badges).to_have_count(2)
    for badge in badges.all():
        expect(badge).to_be_visible()
        whole = badge.evaluate(
            """(el) => { const card = el.closest('[data-testid=conversation-card]').getBoundingClientRect();
            const r = el.getBoundingClientRect();
            return el.scrollWidth <= el.clientWidth && r.left >= card.left && r.right <= card.right; }"""
        )
        assert whole, badge.inner_text()
    expect(card(ada, cid)).to_contain_text("Help Requested")
    expect(card(ada, cid)).to_contain_text("Negative Feedback")


def test_toasts_stay_three_fold_the_rest_and_leave_with_their_conversation(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    bob = clocked_agent_page(browser, contexts, server, "bob@example.com")
    raised = [help_requested(server, f"Toast pile question {n}") for n in range(5)]
    ring(bob, *(cid for cid, _ in raised))
    expect(toasts(bob)).to_have_count(3)
    for cid, _ in raised[2:]:  # the three newest
        expect(toasts(bob, cid)).to_have_count(1)
    expect(bob.get_by_test_id("more-attention")).to_have_text("2 more need attention")

    # A shown toast leaves when its conversation stops waiting (ended here; taken over below), and the newest
    # folded one takes its place.
    cid, auth = raised[4]
    end(server, cid, auth)
    expect(toasts(bob, cid)).to_have_count(0)
    expect(toasts(bob, raised[1][0])).to_have_count(1)
    expect(toasts(bob)).to_have_count(3)
    expect(bob.get_by_test_id("more-attention")).to_have_text("1 more need attention")
    # A folded one that stops waiting leaves the fold.
    end(server, *raised[0])
    expect(bob.get_by_test_id("more-attention")).to_have_count(0)

    # With the panel open, no toast covers its actions.
    cid, _ = raised[3]
    take_over(bob, cid)
    expect(bob.get_by_test_id("conversation-panel")).to_contain_text("Toast pile question 3")
    expect(toasts(bob, cid)).to_have_count(0)  # taken over: its toast left too
    ring(bob, *(help_requested(server, f"Toast over the panel {n}")[0] for n in range(3)))
    expect(toasts(bob)).to_have_count(3)
    for name in ("Send", "Resume AI", "Release"):
        action = bob.get_by_test_id("conversation-panel").get_by_role("button", name=name, exact=True)
        assert hits(bob, action), name
    panel = bob.get_by_test_id("conversation-panel")
    for toast in toasts(bob).all():
        box, beside = toast.bounding_box(), panel.bounding_box()
        assert box is not None and beside is not None
        assert box["x"] + box["width"] <= beside["x"], "a toast lies over the panel"

    # On a phone the panel opens over the cards (Quasar closes it as the window narrows), and the toasts and
    # their fold move to its top left: none covers its actions or its Close button, nor one another.
    bob.evaluate(SEEN_NARROW)
    bob.set_viewport_size({"width": 500, "height": 800})
    # Quasar's layout sees the new width by a ResizeObserver, on a rendering step the held clock doesn't
    # govern, and reads it on a (held) 100 ms timer; the drawer then closes, staying visible until the
    # layout's animation timer (155 ms) ends, which is set only once Vue has drawn the change.
    bob.evaluate("window.__narrow")
    bob.clock.run_for(1000)
    expect(bob.locator("aside.q-drawer--right")).to_have_class(re.compile(r"\bq-drawer--mobile\b"))
    bob.clock.run_for(1000)
    expect(panel).to_be_hidden()
    card(bob, cid).click()
    bob.clock.run_for(1000)  # the drawer's sliding in
    expect(panel).to_be_visible()
    for name in ("Send", "Resume AI", "Release", "Add note", "Close"):
        assert hits(bob, panel.get_by_role("button", name=name, exact=True)), name
    fold = bob.get_by_test_id("more-attention")
    expect(fold).to_have_text("2 more need attention")
    shown = [fold, *toasts(bob).all()]
    assert len(shown) == 4
    for n, one in enumerate(shown):
        expect(one).to_be_in_viewport(ratio=1)
        for other in shown[n + 1 :]:
            assert not overlap(one, other), (one.inner_text(), other.inner_text())


# Resolves once the page's resize observers have seen a window narrower than the panel's breakpoint (1023 px).
SEEN_NARROW = """() => {
    window.__narrow = new Promise(done => new ResizeObserver((entries, seen) => {
        if (entries[0].contentRect.width < 1000) { seen.disconnect(); done(); }
    }).observe(document.documentElement));
}"""


def overlap(one: Locator, other: Locator) -> bool:
    a, b = one.bounding_box(), other.bounding_box()
    assert a is not None and b is not None
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


# Counts the toasts a page asks Quasar for, whether or not they stay.
COUNT_TOASTS = """() => {
    window.__drawn = 0;
    const create = Quasar.Notify.create;
    Quasar.Notify.create = (...args) => { window.__drawn += 1; return create(...args); };
}"""


def test_alerts_that_come_together_ring_once_and_draw_three_toasts(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    """Twelve customers ask for a human at one moment, and are reminded together: one sound each time and at
    most three toasts drawn, the rest straight in the fold (each used to ring and be drawn, then folded)."""
    bob = clocked_agent_page(browser, contexts, server, "bob@example.com")
    bob.evaluate(COUNT_TOASTS)
    raised = [help_requested(server, f"Burst question {n}")[0] for n in range(12)]
    plays = bob.evaluate("window.__plays")
    ring(bob, *raised)  # every hold ends at the same moment of the held clock
    expect(toasts(bob)).to_have_count(3)
    for cid in raised[-3:]:  # the three newest
        expect(toasts(bob, cid)).to_have_count(1)
    expect(bob.get_by_test_id("more-attention")).to_have_text("9 more need attention")
    assert bob.evaluate("window.__plays") == plays + 1
    assert bob.evaluate("window.__drawn") == 3

    # Their reminders come due within the second or two it took to raise them: a sound and at most three
    # toasts for each tick they fall in, not one of each for every reminder. (The toasts are closed and the
    # fold emptied first: a toast closed or timed out lets a folded one in, which is drawn too.)
    bob.get_by_test_id("more-attention").click()
    for _ in range(3):
        toasts(bob).first.get_by_role("button", name="Close").click()
    expect(toasts(bob)).to_have_count(0)
    expect(bob.get_by_test_id("more-attention")).to_have_count(0)
    plays, drawn = bob.evaluate("window.__plays"), bob.evaluate("window.__drawn")
    bob.clock.run_for(REMIND_AFTER * 1000)
    expect(toasts(bob).filter(has_text=re.compile(r"waiting \d+ s"))).to_have_count(3)
    rings = bob.evaluate("window.__plays") - plays
    assert 1 <= rings < 12
    assert bob.evaluate("window.__drawn") - drawn <= 3 * rings


def test_a_reminder_rings_until_someone_takes_over_and_the_card_shows_the_wait(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    bob = clocked_agent_page(browser, contexts, server, "bob@example.com", path="/help", hold=False)
    ada = clocked_agent_page(browser, contexts, server, "ada@example.com", hold=False)
    for page in (bob, ada):
        hold_clock(page)
    cid, _ = help_requested(server, "Is anybody there?")
    for page in (bob, ada):
        ring(page, cid)
        expect(toasts(page, cid)).to_have_count(1)
    plays = bob.evaluate("window.__plays")
    assert plays >= 1
    waiting = card(ada, cid).get_by_test_id("waiting")
    expect(waiting).to_have_text(re.compile(r"^Waiting \d s$"))
    waited = int(waiting.inner_text().split()[1])  # how long it is since the flag, on this page's clock

    # Remind after 10 s: the sound and the toast again, saying how long the customer has waited.
    bob.clock.run_for(10_000)
    ada.clock.run_for(10_000)
    expect(toasts(bob, cid)).to_contain_text(re.compile(r"waiting 1[0-4] s"))
    assert bob.evaluate("window.__plays") == plays + 1
    expect(waiting).to_have_text(f"Waiting {waited + 10} s")  # ticked by the browser, as its clock moved
    # The next one comes after twice the interval, not sooner.
    bob.clock.run_for(15_000)
    assert bob.evaluate("window.__plays") == plays + 1
    bob.clock.run_for(6_000)
    assert bob.evaluate("window.__plays") == plays + 2

    # Ada takes it over: the reminders stop on every page.
    take_over(ada, cid)
    expect(toasts(bob, cid)).to_have_count(0)
    bob.clock.run_for(45_000)
    assert bob.evaluate("window.__plays") == plays + 2
    expect(toasts(bob, cid)).to_have_count(0)
    expect(card(ada, cid).get_by_test_id("waiting")).to_have_count(0)


def test_a_waiting_time_out_of_view_rests_and_is_current_when_seen(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    """Off screen, a card's waiting time is not redrawn every second (issue 17: each redraw costs the page);
    scrolled into view, it says at once how long the customer has waited."""
    ada = clocked_agent_page(browser, contexts, server, "ada@example.com")
    cid, _ = help_requested(server, "Still there?")
    waiting = card(ada, cid).get_by_test_id("waiting")
    expect(waiting).to_have_text(re.compile(r"^Waiting \d+ s$"))
    push_below_window(ada)
    expect(card(ada, cid)).to_have_attribute("data-offscreen", "")
    rested = waiting.inner_text()
    ada.clock.run_for(5000)  # five ticks of the alerts, run before this returns
    assert waiting.inner_text() == rested

    now = waiting.evaluate("(el) => window.handoffWaited(el.dataset.waitSince)")  # the held clock's wait
    assert now != rested

    card(ada, cid).scroll_into_view_if_needed()
    expect(card(ada, cid)).not_to_have_attribute("data-offscreen", re.compile(".*"))
    expect(waiting).to_have_text(now)


def test_a_flag_taken_over_within_the_hold_never_rings(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    bob = clocked_agent_page(browser, contexts, server, "bob@example.com", path="/help")
    ada = agent_page(browser, contexts, server, "ada@example.com")
    cid, _ = help_requested(server, "Quick one, please")
    take_over(ada, cid)
    bob.wait_for_function(f"!window.handoffAlerts.waiting().includes({cid!r})")
    bob.clock.run_for(5000)
    assert bob.evaluate("window.__plays") == 0
    expect(toasts(bob, cid)).to_have_count(0)


def test_the_tab_title_counts_who_waits_on_every_console_page(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com")
    help_page = agent_page(browser, contexts, server, "bob@example.com", path="/help")
    waiting = int(ada.get_by_test_id("stat-attention").inner_text())
    title = re.compile(rf"^\({waiting}\) Human Handoff") if waiting else re.compile(r"^Human Handoff")
    expect(ada).to_have_title(title)
    cid, auth = help_requested(server, "Title count question", service="bank")
    expect(ada).to_have_title(re.compile(rf"^\({waiting + 1}\) Human Handoff"))
    expect(help_page).to_have_title(re.compile(rf"^\({waiting + 1}\) Help"))
    end(server, cid, auth)
    expect(help_page).to_have_title(title if waiting else re.compile(r"^Help"))


def test_a_hidden_tab_gets_a_desktop_notification_that_opens_the_conversation(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    cy = clocked_agent_page(browser, contexts, server, "cy@example.com")
    # Off by default: nothing is shown, and nothing asks for permission on load.
    expect(cy.get_by_test_id("allow-notifications")).to_be_hidden()
    cy.evaluate("window.__hidden = true")
    first, _ = help_requested(server, "Nobody notifies me")
    ring(cy, first)
    expect(toasts(cy, first)).to_have_count(1)
    assert cy.evaluate("window.__notes.length") == 0

    account = agent_page(browser, contexts, server, "cy@example.com", path="/account")
    account.get_by_text("Desktop notifications while the tab is hidden").click()
    account.get_by_role("button", name="Save").click()
    expect(account.get_by_text("Saved.")).to_be_visible()

    cid, _ = help_requested(server, "Please notify somebody", service="bank")
    ring(cy, cid)
    cy.wait_for_function("window.__notes.length === 1")
    note = cy.evaluate("({title: window.__notes[0].title, body: window.__notes[0].body})")
    assert note["title"].startswith("Help Requested: bank"), note
    assert note["body"] == "Please notify somebody"
    cy.evaluate("window.__hidden = false")
    cy.evaluate("window.__notes[0].onclick()")
    expect(cy.get_by_test_id("conversation-panel")).to_contain_text("Please notify somebody")
    # A visible tab gets the toast only.
    ring(cy, help_requested(server, "I am seen")[0])
    expect(toasts(cy).filter(has_text="I am seen")).to_have_count(1)
    assert cy.evaluate("window.__notes.length") == 1


def test_an_agent_chooses_which_flags_alert_them(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    cy = clocked_agent_page(browser, contexts, server, "cy@example.com", path="/help")
    account = agent_page(browser, contexts, server, "cy@example.com", path="/account")
    account.get_by_role("checkbox", name="Help Requested").click()
    account.get_by_role("button", name="Save").click()
    expect(account.get_by_text("Saved.")).to_be_visible()
    try:
        cid, _ = help_requested(server, "Does anyone hear me?")
        ring(cy, cid)  # it counts...
        assert cy.evaluate("window.__plays") == 0  # ...but does not ring for this agent
        expect(toasts(cy, cid)).to_have_count(0)
    finally:
        account.get_by_role("checkbox", name="Help Requested").click()
        account.get_by_role("button", name="Save").click()
        expect(account.get_by_text("Saved.").first).to_be_visible()
