"""Latency: a customer message posted through the API, until the card changes in each of K console pages,
against the floor (a minimal NiceGUI page whose label a POST pushes through an Event). Browser clocks are
stamped by a MutationObserver with Date.now(), the POST's start with the same machine's clock."""

from __future__ import annotations

import statistics
import time

import httpx
from playwright.sync_api import Browser, Page

from bench.common import VIEWPORT, floor_server, log_in

OBSERVE = """([selector]) => {
    window.__changes = [];
    const target = document.querySelector(selector);
    new MutationObserver(() => window.__changes.push(Date.now())).observe(target, {
        subtree: true, childList: true, characterData: true, attributes: true});
}"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def collect(
    pages: list[Page],
    selector: str,
    post: httpx.Client,
    url: str,
    rounds: int,
    body: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> list[float]:
    for page in pages:
        page.evaluate(OBSERVE, [selector])
    latencies: list[float] = []
    for _ in range(rounds):
        for page in pages:
            page.evaluate("window.__changes = []")
        started = time.time() * 1000
        post.post(url, json=body, headers=headers).raise_for_status()
        for page in pages:
            page.wait_for_function("window.__changes.length > 0")
            latencies.append(page.evaluate("window.__changes[0]") - started)
        time.sleep(0.05)  # let the last frames of this round settle before the next POST (a benchmark pause)
    return latencies


def floor_latency(browser: Browser, k: int, rounds: int) -> list[float]:
    with floor_server() as url:
        context = browser.new_context(viewport=VIEWPORT)  # the same window as the console's pages
        pages = []
        for _ in range(k):
            page = context.new_page()
            page.goto(url)
            page.wait_for_function("window.did_handshake === true")
            pages.append(page)
        with httpx.Client() as client:
            values = collect(pages, "[data-testid=floor-label]", client, f"{url}/bump", rounds)
        context.close()
        return values


def handoff_latency(
    browser: Browser, server_url: str, watched: tuple[str, str], k: int, rounds: int
) -> list[float]:
    conversation_id, token = watched
    context = browser.new_context(viewport=VIEWPORT)
    login = context.new_page()
    log_in(login, server_url)
    login.close()
    pages = []
    for _ in range(k):
        page = context.new_page()
        page.goto(server_url + "/handoff")
        page.locator(f"[data-conversation-id='{conversation_id}']").wait_for()
        page.wait_for_function("window.did_handshake === true")
        pages.append(page)
    with httpx.Client() as client:
        values = collect(
            pages,
            f"[data-conversation-id='{conversation_id}']",
            client,
            f"{server_url}/api/v1/conversations/{conversation_id}/messages",
            rounds,
            body={"text": "Any news about my order?"},
            headers={"Authorization": f"Bearer {token}"},
        )
    context.close()
    return values


def summary(values: list[float], k: int) -> dict[str, float]:
    """p50 and p95 over every page of every round, and the latest whole round: the highest of each round's
    fastest page. A high p95 with a low whole-round figure is a few slow pages; with a high one, everything
    stalled at once (the server or the machine: in issue 6, a commit's fsync)."""
    rounds = [values[start : start + k] for start in range(0, len(values), k)]
    return {
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "slowest_round_ms": round(max(min(pages) for pages in rounds), 1),
    }
