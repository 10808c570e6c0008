"""Console: how long /handoff takes to build with N live conversations, the server memory per open page,
and what one change costs (bytes over the socket, time until the card shows it).

    .venv/bin/python -m bench.console [--conversations 1000] [--pages 3]

Prints figures and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from handoff.conversations import Location
from handoff.core import Core
from handoff.settings import Settings
from handoff_ui.services_view import PAGE_SIZE
from tests.support import Server, run_cli

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CITIES = [("Berlin", "Berlin"), ("Lyon", "Auvergne-Rhône-Alpes"), ("Austin", "Texas"), ("Osaka", "Osaka")]


async def seed(url: str, count: int) -> tuple[str, str]:
    """Create the conversations; returns the id and token of a flagged one (shown among the first cards)."""
    core = Core.create(Settings(database_url=url, sqlite_synchronous="OFF"))
    await core.start()
    for slug in ("shop", "bank"):
        await core.services.add(slug=slug, name=slug.title())
    for i in range(count):
        city, region = CITIES[i % len(CITIES)]
        started = await core.conversations.start(
            service_slug="shop" if i % 2 else "bank",
            text=f"Question {i}: where is my order?",
            location=Location(city=city, region=region, country="XX"),
        )
        if i % 10 == 0:
            await core.conversations.request_human(conversation_id=started.conversation.id)
            flagged = (started.conversation.id, started.token)
    await core.stop()
    return flagged


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def log_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/handoff")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        watched = asyncio.run(seed(url, args.conversations))
        run_cli(
            url,
            "agent",
            "add",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--password",
            "password-1",
            "--admin",
        )
        server = Server(url, Path(scratch) / "server.log").start()
        assert server.process is not None
        try:
            figures = measure(server, args.pages, watched)
        finally:
            server.stop()
    figures = {"benchmark": "console", "conversations": args.conversations, **figures}
    print(
        f"/handoff with {args.conversations} live conversations: ready in {figures['ready_ms_median']} ms "
        f"(median of {args.pages}), {figures['server_mb_per_page']} MB server memory per page; one change: "
        f"{figures['change_bytes']} bytes to each page, card updated {figures['change_ms']} ms after the POST"
    )
    print(json.dumps(figures))


def measure(server: Server, pages: int, watched: tuple[str, str]) -> dict[str, float]:
    assert server.process is not None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        login_page = context.new_page()
        log_in(login_page, server.url)
        login_page.close()
        base_rss = rss_mb(server.process.pid)
        ready, opened = [], []
        for _ in range(pages):
            page = context.new_page()
            started = time.perf_counter()
            page.goto(server.url + "/handoff")
            page.locator("[data-testid=conversation-card]").nth(PAGE_SIZE - 1).wait_for()
            page.wait_for_function("window.did_handshake === true")
            ready.append((time.perf_counter() - started) * 1000)
            opened.append(page)
        per_page = (rss_mb(server.process.pid) - base_rss) / pages
        page = opened[-1]
        frames: list[int] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(len(payload))))
        page.reload()
        page.locator("[data-testid=conversation-card]").nth(PAGE_SIZE - 1).wait_for()
        page.wait_for_function("window.did_handshake === true")
        conversation_id, token = watched
        page.evaluate(
            """id => { window.__changed = null; const card = document.querySelector(
            `[data-conversation-id='${id}']`); new MutationObserver(() => { if (window.__changed === null)
            window.__changed = performance.now(); }).observe(card, {subtree: true, childList: true,
            characterData: true, attributes: true}); }""",
            conversation_id,
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
        change_bytes = sum(frames)
        browser.close()
    return {
        "ready_ms_median": round(statistics.median(ready)),
        "server_mb_per_page": round(per_page, 2),
        "change_bytes": change_bytes,
        "change_ms": round(change_ms, 1),
    }


if __name__ == "__main__":
    main()
