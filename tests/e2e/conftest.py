"""Browser test helpers: Debian's Chromium through Playwright, and agents logged in to a running server."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    WebSocket,
    WebSocketRoute,
    expect,
    sync_playwright,
)

from handoff_ui.board_push import EVENT
from tests.support import (
    AGENT_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    agent_add_args,
    card_selector,
    run_cli_each,
)

COUNT_PLAYS = """
window.__plays = 0;
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () { window.__plays += 1; return play.call(this); };
"""
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which(CHROMIUM) is None, reason=f"no Chromium at {CHROMIUM} (make test installs it)"
    ),
]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    expect.set_options(timeout=10_000)  # a loaded CI machine answers slower than a developer's
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def seeded_server(
    folder: Path,
    services: Iterable[tuple[str, ...]] = (("shop", "Web Shop"), ("bank", "Bank")),
    agents: Iterable[tuple[str, str, bool]] = (
        ("ada@example.com", "Ada", True),
        ("bob@example.com", "Bob", False),
    ),
) -> Server:
    """A server (not started) on a new database with these services and agents, added the way an operator
    does: `(slug, name, *more service add arguments)` and `(email, name, admin)`."""
    url = f"sqlite+aiosqlite:///{folder / 'handoff.db'}"
    run_cli_each(
        url,
        [
            *(["service", "add", "--slug", slug, "--name", name, *more] for slug, name, *more in services),
            *(agent_add_args(email, name, admin=admin) for email, name, admin in agents),
        ],
    )
    return Server(url, folder / "server.log")


def new_page(
    browser: Browser,
    contexts: list[BrowserContext],
    *,
    width: int = 1400,
    height: int = 900,
    init_scripts: Iterable[str] = (),
) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    for script in (COUNT_PLAYS, *init_scripts):
        context.add_init_script(script)
    contexts.append(context)
    return context.new_page()


def send_in_reverse(page: Page, count: int) -> list[str]:
    """Hold the page's next `count` events to the server and send them last first: the order NiceGUI can send
    events in that waited for the socket's handshake (each waits on a timer of its own). Call before the page
    opens; returns the events, in the order the page made them."""
    held: list[str] = []

    def reorder(route: WebSocketRoute) -> None:
        server_side = route.connect_to_server()

        def to_the_server(message: str | bytes) -> None:
            if isinstance(message, str) and message.startswith('42["event"') and len(held) < count:
                held.append(message)
                if len(held) == count:
                    for event in reversed(held):
                        server_side.send(event)
                return
            server_side.send(message)

        route.on_message(to_the_server)

    page.route_web_socket(re.compile(r"/_nicegui_ws/"), reorder)
    return held


@dataclass
class Recorded:
    """A page's socket and the text frames it has received."""

    socket: WebSocket
    frames: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.socket.on("framereceived", self._received)

    def _received(self, frame: str | bytes) -> None:
        if isinstance(frame, str):
            self.frames.append(frame)

    def pushes(self) -> int:
        """How many board pushes (board_push.py) it received."""
        return sum(frame.startswith(f'42["{EVENT}"') for frame in self.frames)


def agent_page(
    browser: Browser,
    contexts: list[BrowserContext],
    server: Server,
    email: str,
    path: str = "/handoff",
    *,
    init_scripts: Iterable[str] = (),
    sockets: list[Recorded] | None = None,
) -> Page:
    """A console page, logged in and connected; with `sockets`, the page's sockets as they open, with the
    text frames each received (the last is the console's)."""
    page = new_page(browser, contexts, init_scripts=init_scripts)
    if sockets is not None:
        page.on("websocket", lambda socket: sockets.append(Recorded(socket)))
    page.goto(server.url + path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "connected")
    page.wait_for_function("window.did_handshake === true")
    return page


def new_conversation(server: Server, text: str, service: str = "shop") -> tuple[str, dict[str, str]]:
    response = httpx.post(f"{server.url}/api/v1/conversations", json={"service": service, "text": text})
    assert response.status_code == 201
    return response.json()["id"], {"Authorization": f"Bearer {response.json()['token']}"}


def push_below_window(page: Page) -> None:
    """Move the whole console far below the window, as scrolling away from it would (its cards go off
    screen: console.js marks them `data-offscreen`)."""
    page.evaluate("""() => {
        const spacer = document.createElement("div");
        spacer.style.height = "5000px";
        document.body.prepend(spacer);
    }""")


def card(page: Page, conversation_id: str) -> Locator:
    """A conversation's card on the console."""
    return page.locator(card_selector(conversation_id))


def take_over(page: Page, conversation_id: str) -> None:
    """Open the conversation's card and take it over; done once the reply box is there."""
    card(page, conversation_id).click()
    page.get_by_test_id("take-over").click()
    expect(page.get_by_test_id("send")).to_be_visible()
