"""Console scale: how long /handoff takes to be ready with N live conversations, the server memory each open
page costs, and what one change costs (bytes over the socket, time until the card shows it).

    .venv/bin/python -m bench.console [--conversations 1000] [--pages 5]   (opens twice --pages pages)
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import httpx
from playwright.sync_api import Page, sync_playwright

from bench.common import VIEWPORT, log_in, rss_mb, seeded_server
from handoff_ui.services_view import PAGE_SIZE
from tests.support import CHROMIUM, CHROMIUM_ARGS, Server, card_selector


def wait_ready(page: Page) -> None:
    """/handoff is ready: its first page of cards drawn and its socket connected."""
    page.locator("[data-testid=conversation-card]").nth(PAGE_SIZE - 1).wait_for()
    page.wait_for_function("window.did_handshake === true")


def measure(server: Server, pages: int, watched: tuple[str, str]) -> dict[str, float]:
    assert server.process is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        login_page = context.new_page()
        log_in(login_page, server.url)
        login_page.close()
        ready, opened = [], []

        def open_pages() -> None:
            for _ in range(pages):
                page = context.new_page()
                started = time.perf_counter()
                page.goto(server.url + "/handoff")
                wait_ready(page)
                ready.append((time.perf_counter() - started) * 1000)
                opened.append(page)

        # Memory is the server's RSS growth over the second set of pages: the first set uses up the heap that
        # loading the cards at start freed (with 10,000 conversations the first set's growth read 0.0-0.7 MB).
        open_pages()
        base_rss = rss_mb(server.process.pid)
        open_pages()
        per_page = (rss_mb(server.process.pid) - base_rss) / pages
        page = opened[-1]
        frames: list[str | bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
        page.reload()
        wait_ready(page)
        for _ in range(250):  # the page sends its alerts list once connected: not the change
            if any("handoffAlerts.sync" in str(frame) for frame in frames):
                break
            page.wait_for_timeout(20)
        conversation_id, token = watched
        page.evaluate(
            """selector => { window.__changed = null; const card = document.querySelector(selector);
            new MutationObserver(() => { if (window.__changed === null)
            window.__changed = performance.now(); }).observe(card, {subtree: true, childList: true,
            characterData: true, attributes: true}); }""",
            card_selector(conversation_id),
        )
        frames.clear()
        posted = page.evaluate("performance.now()")
        httpx.post(
            f"{server.url}/api/v1/conversations/{conversation_id}/messages",
            json={"text": "Any news?"},
            headers={"Authorization": f"Bearer {token}"},
        ).raise_for_status()
        page.wait_for_function("window.__changed !== null")
        change_ms = page.evaluate("window.__changed") - posted
        page.wait_for_timeout(300)  # let the frames of this one change arrive before counting them
        browser.close()
    return {
        "ready_ms_median": round(statistics.median(ready)),
        "server_mb_per_page": round(per_page, 2),
        "change_bytes": sum(len(frame) for frame in frames),
        "change_ms": round(change_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=5)
    args = parser.parse_args()
    with seeded_server(args.conversations) as (server, seeded):
        figures = measure(server, args.pages, seeded.watched)
    figures = {"benchmark": "console", "conversations": args.conversations, **figures}
    print(
        f"/handoff with {args.conversations} live conversations: ready in {figures['ready_ms_median']} ms "
        f"(median of {2 * args.pages} pages), {figures['server_mb_per_page']} MB server memory per page; "
        "one change: "
        f"{figures['change_bytes']} bytes to each page, card updated {figures['change_ms']} ms after the POST"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
