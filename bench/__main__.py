"""All benchmarks, each beside the floor measured in the same run: `make bench` (or `python -m bench`).

1. Latency: a customer message posted through the API until its card changes in each of K console pages,
   p50/p95 for K = 10 and 25 with 300 and 1,000 live conversations, the messages all to the first card, spread
   over the cards on screen (each moves to the front) and to red cards below those shown (each enters the
   list); the floor with the same K.
2. Ingest: customer messages acknowledged per second (8 clients) against the floor's POSTs per second,
   three runs of each in turn.
3. Scale: time until /handoff is ready and server memory per page with 1,000 and 10,000 conversations.
4. The board floor (bench.board_floor): the least each latency case can cost 25 pages with 1,000
   conversations, beside the floor and Handoff in one run.

Prints figures as it goes and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json

from playwright.sync_api import sync_playwright

from bench import board_floor, console, ingest, latency
from bench.common import seeded_server
from tests.support import CHROMIUM, CHROMIUM_ARGS


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rounds", type=int, default=20, help="messages posted per latency configuration")
    parser.add_argument("--quick", action="store_true", help="K = 10 only, 300 and 1,000 conversations")
    args = parser.parse_args()
    ks = (10,) if args.quick else (10, 25)
    result: dict[str, object] = {"benchmark": "handoff"}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        lat = latency.measure(browser, ks, (300, 1000), latency.CASES, args.rounds)
        least = board_floor.measure(browser, 1000, max(ks), args.rounds, board_floor.CASES)
        browser.close()
    result["latency"] = lat
    result["board_floor"] = least

    result["ingest"] = figures = ingest.paired(8, 2000)
    print(ingest.describe(8, figures), flush=True)

    scale = {}
    for conversations in (1000, 10_000):
        with seeded_server(conversations) as (server, seeded):
            figures = console.measure(server, 5, seeded.watched)
        scale[str(conversations)] = figures
        print(
            f"scale, {conversations} conversations: /handoff ready in {figures['ready_ms_median']} ms, "
            f"{figures['server_mb_per_page']} MB per page, one change {figures['change_bytes']} bytes",
            flush=True,
        )
    result["scale"] = scale
    print(json.dumps(result))


if __name__ == "__main__":
    main()
