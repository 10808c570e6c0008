"""Latency: a customer message posted through the API, until the card changes in each of K console pages,
against the floor (a minimal NiceGUI page whose label a POST pushes through an Event). Browser clocks are
stamped by a MutationObserver with Date.now(), the POST's start with the same machine's clock.

    .venv/bin/python -m bench.latency [--conversations 1000] [--k 25] [--rounds 30] [--case spread]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from bench.common import VIEWPORT, Seeded, floor_server, log_in, seeded_server
from tests.support import CHROMIUM, CHROMIUM_ARGS, card_selector

OBSERVE = """([selector]) => {
    window.__changes = [];
    window.__frames = [];
    if (window.__observer) window.__observer.disconnect();
    const target = document.querySelector(selector);
    window.__observer = new MutationObserver(() => window.__changes.push(Date.now()));
    window.__observer.observe(
        target, {subtree: true, childList: true, characterData: true, attributes: true});
    if (!window.__framesHeard) {  // when each socket frame reaches the page's script
        window.__framesHeard = true;
        window.socket.io.engine.on("data", () => window.__frames.push(Date.now()));
    }
}"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


@dataclass
class Timings:
    """Per page and round, from the POST's start: the first change drawn inside the watched element (the
    latency), and the first socket frame that reached the page's script (what the server and the machine took
    before the page could start; the rest is the page's own work, and its wait for a core)."""

    changed: list[float] = field(default_factory=list)
    framed: list[float] = field(default_factory=list)

    def __add__(self, other: Timings) -> Timings:
        return Timings(self.changed + other.changed, self.framed + other.framed)


def collect(
    pages: list[Page],
    post: httpx.Client,
    rounds: int,
    target: Callable[[int], Target],
) -> Timings:
    """Each round: `target(round)` names the request and the element to watch; every page's first change
    inside that element after the POST is its latency."""
    timings = Timings()
    observed = None
    for number in range(rounds):
        aim = target(number)
        if aim.selector != observed:
            for page in pages:
                page.evaluate(OBSERVE, [aim.selector])
            observed = aim.selector
        for page in pages:
            page.evaluate("window.__changes = []; window.__frames = []")
        started = time.time() * 1000
        post.post(aim.url, json=aim.body, headers=aim.headers).raise_for_status()
        for number_of_page, page in enumerate(pages):
            if number_of_page == aim.skip:
                continue
            page.wait_for_function("window.__changes.length > 0")
            changed, framed = page.evaluate("[window.__changes[0], window.__frames[0] ?? Infinity]")
            timings.changed.append(changed - started)
            timings.framed.append(min(framed, changed) - started)  # a frame heard before it, if any
        time.sleep(0.05)  # let the last frames of this round settle before the next POST (a benchmark pause)
    return timings


@dataclass(frozen=True)
class Target:
    url: str
    selector: str
    body: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    skip: int | None = None  # a page not measured this round (it is busy opening a panel of its own)


def floor_pages(
    browser: Browser, url: str, k: int, path: str = ""
) -> tuple[BrowserContext, list[Page], Target]:
    """K pages of the floor app at `url` (its `path`: the board floor's too), each connected, and the POST
    that changes their label."""
    context = browser.new_context(viewport=VIEWPORT)  # the same window as the console's pages
    pages = []
    for _ in range(k):
        page = context.new_page()
        page.goto(url + path)
        page.wait_for_function("window.did_handshake === true")
        pages.append(page)
    return context, pages, Target(f"{url}/bump", "[data-testid=floor-label]")


def floor_latency(browser: Browser, k: int, rounds: int) -> Timings:
    with floor_server() as url, httpx.Client() as client:
        context, pages, label = floor_pages(browser, url, k)
        timings = collect(pages, client, rounds, lambda _: label)
        context.close()
        return timings


# How the messages of a round are spread over the board (issue 17): all to the first card (it keeps its
# place), each to a card on screen below the first (it moves to the front of its service), or each to a red
# card below the cards shown (it enters the list at the front and the last card shown leaves it; with every
# red card shown, another card enters after them).
# "presence" is "spread" while, each round, one of the pages opens another card's panel (issue 18: who has a
# conversation open shows on its card on every page, coalesced).
CASES = ("one card", "spread", "entering", "presence")

SHOWN = """slug => [...document.querySelectorAll(
    `[data-testid=service-${slug}] [data-testid=conversation-card]`
)].map(card => card.dataset.conversationId)"""


def targets(case: str, pages: list[Page], seeded: Seeded, url: str) -> Callable[[int], Target]:
    """What each round of `case` posts (to `url`) and which element of the pages shows it (CASES)."""
    choose = random.Random(17)

    def message(conversation_id: str, selector: str) -> Target:
        return Target(
            f"{url}/api/v1/conversations/{conversation_id}/messages",
            selector,
            body={"text": "Any news about my order?"},
            headers={"Authorization": f"Bearer {seeded.tokens[conversation_id]}"},
        )

    def target(number: int) -> Target:
        slug = ("shop", "bank")[number % 2]
        section = f"[data-testid=service-{slug}]"
        shown = pages[0].evaluate(SHOWN, slug)  # every page shows the same cards in the same order
        if case == "one card":  # the first card shown (whatever an earlier case brought there) stays first
            return message(shown[0], card_selector(shown[0]))
        if case in ("spread", "presence"):
            aim = message(shown[choose.randrange(1, len(shown))], section)
            if case == "presence":  # an agent opens a panel: every other page's card shows who has it open
                opener = number % len(pages)
                viewed = shown[choose.randrange(1, len(shown))]
                pages[opener].locator(card_selector(viewed)).click()
                aim = replace(aim, skip=opener)
            return aim
        on_screen = set(shown)
        below = [c for c in seeded.flagged if seeded.services[c] == slug and c not in on_screen]
        if not below:  # every red card is shown (300 conversations): one of the others enters after them
            below = [c for c, s in seeded.services.items() if s == slug and c not in on_screen]
        return message(choose.choice(below), section)

    return target


def console_pages(
    browser: Browser, url: str, k: int, before_open: Callable[[Page], None] = lambda _page: None
) -> tuple[BrowserContext, list[Page]]:
    """K pages of /handoff signed in as Ada, each drawn and connected; `before_open` sees each page first."""
    context = browser.new_context(viewport=VIEWPORT)
    login = context.new_page()
    log_in(login, url)
    login.close()
    pages = []
    for _ in range(k):
        page = context.new_page()
        before_open(page)
        page.goto(url + "/handoff")
        # The board is drawn (not a given card: an earlier case's entering cards may have pushed it below the
        # cards shown)
        page.locator("[data-testid=conversation-card]").first.wait_for()
        page.wait_for_function("window.did_handshake === true")
        pages.append(page)
    return context, pages


def handoff_latency(
    browser: Browser,
    server_url: str,
    seeded: Seeded,
    k: int,
    rounds: int,
    case: str = "one card",
    post_url: str | None = None,
) -> Timings:
    """The pages on `server_url`; the messages posted there too, or to `post_url` (another process of the
    same console: bench.scale_out)."""
    context, pages = console_pages(browser, server_url, k)
    target = targets(case, pages, seeded, post_url or server_url)
    with httpx.Client() as client:
        timings = collect(pages, client, rounds, target)
    context.close()
    return timings


def against(measured: dict[str, float], base: dict[str, float], name: str = "floor") -> None:
    """Adds `measured`'s p50 and p95 as multiples of `base`'s (p50_vs_floor, p95_vs_floor, or `name`'s)."""
    for figure in ("p50", "p95"):
        measured[f"{figure}_vs_{name}"] = round(measured[f"{figure}_ms"] / base[f"{figure}_ms"], 2)


def summary(timings: Timings, k: int) -> dict[str, float]:
    """p50 and p95 over every page of every round, and the latest whole round: the highest of each round's
    fastest page. A high p95 with a low whole-round figure is a few slow pages; with a high one, everything
    stalled at once (the server or the machine: in issue 6, a commit's fsync). `frame_p50_ms`: when the first
    frame reached the pages (the server's part and the wait for a core; the rest is the page's own work);
    `first_frame_p50_ms`: when it reached the first page of each round, before any page's work competed with
    the server for a core: the server's own part (its request, its write, every page's handler)."""
    values = timings.changed
    rounds = [values[start : start + k] for start in range(0, len(values), k)]
    firsts = [min(timings.framed[start : start + k]) for start in range(0, len(timings.framed), k)]
    return {
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "slowest_round_ms": round(max(min(pages) for pages in rounds), 1),
        "frame_p50_ms": round(statistics.median(timings.framed), 1),
        "frame_p95_ms": round(percentile(timings.framed, 0.95), 1),
        "first_frame_p50_ms": round(statistics.median(firsts), 1),
    }


def measure(
    browser: Browser, ks: tuple[int, ...], counts: tuple[int, ...], cases: tuple[str, ...], rounds: int
) -> dict[str, object]:
    """The floor for each K, then each case for each K and count of live conversations, then the floor again:
    each case against the floor of both runs together (this machine drifts within a run; both floors are
    printed). Prints every figure as it goes."""
    figures: dict[str, object] = {}
    floor_values: dict[int, Timings] = {k: Timings() for k in ks}

    def floor(when: str) -> None:
        for k in ks:
            values = floor_latency(browser, k, rounds)
            floor_values[k] += values
            figures[f"floor_k{k}_{when}"] = measured = summary(values, k)
            print(
                f"latency floor ({when}), K={k}: p50 {measured['p50_ms']} ms, p95 {measured['p95_ms']} ms, "
                f"slowest whole round {measured['slowest_round_ms']} ms, first frame at the pages p50 "
                f"{measured['frame_p50_ms']} ms",
                flush=True,
            )

    floor("before")
    ours: dict[str, dict[str, float]] = {}
    for count in counts:
        with seeded_server(count) as (server, seeded):
            for k in ks:
                for case in cases:
                    values = handoff_latency(browser, server.url, seeded, k, rounds, case)
                    measured_pages = k - 1 if case == "presence" else k  # the opener is not measured
                    ours[f"{count}|{k}|{case}"] = measured = summary(values, measured_pages)
                    print(f"latency Handoff, {count} conversations, K={k}, {case}: {measured}", flush=True)
    floor("after")
    for k in ks:
        figures[f"floor_k{k}"] = summary(floor_values[k], k)
    for key, measured in ours.items():
        count, k, case = key.split("|")
        base = figures[f"floor_k{k}"]
        assert isinstance(base, dict)
        against(measured, base)
        figures[f"handoff_{count}_k{k}_{case.replace(' ', '_')}"] = measured
        print(
            f"latency Handoff, {count} conversations, K={k}, {case}: p50 {measured['p50_ms']} ms "
            f"({measured['p50_vs_floor']}x floor p50 {base['p50_ms']}), p95 {measured['p95_ms']} ms "
            f"({measured['p95_vs_floor']}x floor p95 {base['p95_ms']}), slowest whole round "
            f"{measured['slowest_round_ms']} ms, first frame at the pages p50 {measured['frame_p50_ms']} ms "
            f"(floor {base['frame_p50_ms']}), at the first page p50 {measured['first_frame_p50_ms']} ms "
            f"(floor {base['first_frame_p50_ms']})",
            flush=True,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency")
    parser.add_argument("--conversations", type=int, action="append", help="live conversations (repeatable)")
    parser.add_argument("--k", type=int, action="append", help="console pages open (repeatable)")
    parser.add_argument("--case", choices=CASES, action="append", help="how messages spread (repeatable)")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        figures = measure(
            browser,
            tuple(args.k or (25,)),
            tuple(args.conversations or (1000,)),
            tuple(args.case or CASES),
            args.rounds,
        )
        browser.close()
    print(json.dumps({"benchmark": "latency", **figures}))


if __name__ == "__main__":
    main()
