"""The least each case of bench.latency can cost (issue 17), beside the floor and Handoff in one run.

The board floor is the floor's page (one label a POST pushes) holding a copy of a console page's board: its
cards as a console page drew them, with the console's own stylesheet and script, so its red cards pulse as
there. At each push the page itself changes its board as a message changes the console's in that case
(floor_app.CHANGE_BOARD): the first card's count; a card moved to the front; the last card shown becoming
another conversation at the front. No server work beyond the floor's, no NiceGUI update, no Vue render:
only what the browser must do for what changes on screen. What Handoff takes above it is its own (the store,
the pages' updates, their renders); what the board floor takes above the floor is the board's, on this
machine.

    .venv/bin/python -m bench.board_floor [--conversations 1000] [--k 25] [--rounds 30] [--case spread]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.sync_api import Browser, sync_playwright

from bench.common import floor_server, seeded_server
from bench.latency import (
    against,
    collect,
    console_pages,
    floor_latency,
    floor_pages,
    handoff_latency,
    summary,
)
from tests.support import CHROMIUM, CHROMIUM_ARGS

CASES = ("one card", "spread", "entering")
SECTIONS = """() => [...document.querySelectorAll("[data-testid^=service-]")]
    .map((section) => section.outerHTML).join("\\n")"""


def copy_board(browser: Browser, server_url: str, path: Path) -> Path:
    """The service sections of one console page of `server_url`, as drawn, written to `path`."""
    context, [page] = console_pages(browser, server_url, 1)
    path.write_text(page.evaluate(SECTIONS))
    context.close()
    return path


def measure(
    browser: Browser, conversations: int, k: int, rounds: int, cases: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """The floor, then for each case the board floor and Handoff, then the floor again; each case's figures
    against the floor of both runs together, and Handoff's against its board floor. Prints as it goes."""
    figures: dict[str, dict[str, float]] = {}
    floor = floor_latency(browser, k, rounds)
    with (
        seeded_server(conversations) as (server, seeded),
        tempfile.TemporaryDirectory() as scratch,
        floor_server(copy_board(browser, server.url, Path(scratch) / "board.html")) as url,
        httpx.Client() as client,
    ):
        for case in cases:
            context, pages, push = floor_pages(browser, url, k, f"/board?case={quote(case)}")
            figures[f"board_floor_{case}"] = summary(collect(pages, client, rounds, lambda _, at=push: at), k)
            changed = {page.evaluate("window.boardChanges ?? 0") for page in pages}
            if changed != {rounds}:  # a board left as it was would make the least look lower than it is
                raise RuntimeError(f"the board floor changed its board {changed} times, not {rounds}")
            context.close()
            ours = handoff_latency(browser, server.url, seeded, k, rounds, case)
            figures[f"handoff_{case}"] = summary(ours, k)
            print(
                f"{case}: board floor {figures[f'board_floor_{case}']}, Handoff {figures[f'handoff_{case}']}",
                flush=True,
            )
    floor += floor_latency(browser, k, rounds)
    figures["floor"] = base = summary(floor, k)
    for case in cases:
        least, ours = figures[f"board_floor_{case}"], figures[f"handoff_{case}"]
        against(least, base)
        against(ours, base)
        against(ours, least, "board_floor")
        print(
            f"K={k}, {conversations} conversations, {case}: floor p50 {base['p50_ms']} ms, "
            f"p95 {base['p95_ms']}; "
            f"board floor p50 {least['p50_ms']} ({least['p50_vs_floor']}x), p95 {least['p95_ms']} "
            f"({least['p95_vs_floor']}x); Handoff p50 {ours['p50_ms']} ({ours['p50_vs_floor']}x, "
            f"{ours['p50_vs_board_floor']}x the board floor), p95 {ours['p95_ms']} ({ours['p95_vs_floor']}x, "
            f"{ours['p95_vs_board_floor']}x); first frame at the first page p50: board floor "
            f"{least['first_frame_p50_ms']} ms, Handoff {ours['first_frame_p50_ms']} ms (the server's part)",
            flush=True,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.board_floor")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--k", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--case", choices=CASES, action="append", help="how messages spread (repeatable)")
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        figures = measure(browser, args.conversations, args.k, args.rounds, tuple(args.case or CASES))
        browser.close()
    print(json.dumps({"benchmark": "board_floor", **figures}))


if __name__ == "__main__":
    main()
