"""What one customer message costs each open console page, by how the messages spread over the board (the
cases of bench.latency): the page's renderer CPU (every thread of it, and its main thread), its script, style
and layout time (Chromium's Performance metrics), and the socket frames and bytes it received. An idle
stretch as long as each case's run is measured first: the pages' own background (waiting times ticking, the
red cards' pulse), to be taken off each case's figures.

On a machine of their own, agents' browsers pay this each on their own cores; in bench.latency all K pages
share the server's, so each page's cost there is paid K times over before the last page is drawn.

    .venv/bin/python -m bench.console_cost [--conversations 1000] [--k 25] [--rounds 20]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

import httpx
from playwright.sync_api import CDPSession, Page, WebSocket, sync_playwright

from bench.common import seeded_server
from bench.latency import CASES, collect, console_pages, targets
from tests.support import CHROMIUM, CHROMIUM_ARGS

METRICS = {  # Chromium's name -> ours (seconds, summed over the page's life)
    "ProcessTime": "cpu_ms",
    "ThreadTime": "main_thread_ms",
    "ScriptDuration": "script_ms",
    "RecalcStyleDuration": "style_ms",
    "LayoutDuration": "layout_ms",
}


@dataclass
class Received:
    """The socket frames a page received."""

    frames: int = 0
    bytes: int = 0

    def watch(self, page: Page) -> None:
        def on_socket(socket: WebSocket) -> None:
            socket.on("framereceived", self._count)

        page.on("websocket", on_socket)

    def _count(self, payload: str | bytes) -> None:
        self.frames += 1
        self.bytes += len(payload)


@dataclass
class Meter:
    """One page's counters, read before and after a stretch."""

    cdp: CDPSession
    received: Received

    def read(self) -> dict[str, float]:
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        figures = {ours: metrics[name] * 1000 for name, ours in METRICS.items()}
        return figures | {"frames": self.received.frames, "bytes": self.received.bytes}


def per_page(meters: list[Meter], before: list[dict[str, float]], per: float) -> dict[str, float]:
    """The mean over the pages of each counter's growth, divided by `per`."""
    after = [meter.read() for meter in meters]
    keys = after[0].keys()
    return {
        key: round(sum(a[key] - b[key] for a, b in zip(after, before, strict=True)) / len(meters) / per, 2)
        for key in keys
    }


def measure(conversations: int, k: int, rounds: int, cases: tuple[str, ...]) -> dict[str, object]:
    figures: dict[str, object] = {}
    with sync_playwright() as playwright, seeded_server(conversations) as (server, seeded):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        received: list[Received] = []

        def watch(page: Page) -> None:  # before the page opens its socket
            received.append(Received())
            received[-1].watch(page)

        context, pages = console_pages(browser, server.url, k, watch)
        meters = []
        for page, counted in zip(pages, received, strict=True):
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            meters.append(Meter(cdp, counted))
        with httpx.Client() as client:
            for case in cases:
                before = [meter.read() for meter in meters]
                started = time.monotonic()
                collect(pages, client, rounds, targets(case, pages, seeded, server.url))
                took = time.monotonic() - started
                busy = per_page(meters, before, rounds)
                before = [meter.read() for meter in meters]
                time.sleep(took)  # the same stretch with nothing posted (a benchmark's idle measure)
                idle = per_page(meters, before, rounds)
                figures[case] = {"per_message": busy, "idle_same_time": idle}
                extra = {key: round(busy[key] - idle[key], 2) for key in METRICS.values()}
                print(
                    f"console cost, {conversations} conversations, K={k}, {case}, per page and message: "
                    f"{busy['frames']} frames, {busy['bytes']:.0f} bytes; CPU {busy['cpu_ms']} ms "
                    f"(idle {idle['cpu_ms']}), main thread {busy['main_thread_ms']} ms (idle "
                    f"{idle['main_thread_ms']}), script {busy['script_ms']}, style {busy['style_ms']}, "
                    f"layout {busy['layout_ms']} ms; above idle: {extra}",
                    flush=True,
                )
        context.close()
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console_cost")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--k", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--case", choices=CASES, action="append", help="how messages spread (repeatable)")
    args = parser.parse_args()
    cases = tuple(case for case in (args.case or CASES) if case != "presence")  # no panels opened here
    figures = measure(args.conversations, args.k, args.rounds, cases)
    print(json.dumps({"benchmark": "console_cost", "k": args.k, **figures}))


if __name__ == "__main__":
    main()
