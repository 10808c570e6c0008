"""Where one console page's browser time goes per customer message, by how the messages spread over the board
(bench.latency's cases), beside the floor's page (one label that a POST changes), from Chromium's own trace of
a single page: its renderer's main thread, the compositor and display compositor (viz) threads, the raster
workers, and how many frames the main thread drew per message. An idle stretch of the same length is traced
last: what the page costs with nothing posted. Each case's board floor (bench.board_floor: the floor's page
holding a copy of the console's board, which the page itself changes as that case changes the console's) is
traced too: what the browser must do for what the case changes on screen, without NiceGUI and Vue.

One page alone, so no page waits for another's core: these figures vary far less from run to run than
bench.latency's 25 pages on one machine (whose CPU and style/layout durations swing by 2x between runs), and
they show what a change to the page's CSS or scripts costs in each case. The page's main thread includes
the benchmark's own DevTools calls (about 2.5 ms a message), the same in every case.

    .venv/bin/python -m bench.render_trace [--conversations 1000] [--rounds 30] [--case spread]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.sync_api import Browser, sync_playwright

from bench.board_floor import copy_board
from bench.common import floor_server, seeded_server
from bench.latency import CASES, collect, console_pages, floor_pages, targets
from tests.support import CHROMIUM, CHROMIUM_ARGS

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "cc", "viz", "blink"]
THREADS = {  # Chromium's thread name (its start) -> ours
    "CrRendererMain": "main_ms",
    "Compositor": "compositor_ms",
    "VizCompositorThread": "viz_ms",
    "ThreadPoolForegroundWorker": "raster_ms",
}
MAIN_PARTS = {  # the main thread's steps -> ours
    "ProxyMain::BeginMainFrame": "frame_ms",
    "UpdateLayoutTree": "style_ms",
    "Layout": "layout_ms",
    "Paint": "paint_ms",
    "Commit": "commit_ms",
}


def per_message(trace: Path, messages: int) -> dict[str, float]:
    """Milliseconds per message on each thread and in each main-thread step, and frames per message."""
    data = json.loads(trace.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    totals: Counter[str] = Counter()
    for event in events:
        if event.get("ph") != "X" or "dur" not in event:
            continue
        thread = names.get((event["pid"], event["tid"]), "")
        ours = next((key for start, key in THREADS.items() if thread.startswith(start)), None)
        top = "ThreadPool_RunTask" if ours == "raster_ms" else "ThreadControllerImpl::RunTask"
        if ours is not None and event["name"] == top:
            totals[ours] += event["dur"] / 1000
        if thread == "CrRendererMain" and event["name"] in MAIN_PARTS:
            totals[MAIN_PARTS[event["name"]]] += event["dur"] / 1000
            if event["name"] == "ProxyMain::BeginMainFrame":
                totals["frames"] += 1
    figures = {key: round(totals[key] / messages, 2) for key in [*THREADS.values(), *MAIN_PARTS.values()]}
    figures["all_threads_ms"] = round(sum(figures[key] for key in THREADS.values()), 2)
    figures["frames"] = round(totals["frames"] / messages, 2)
    return figures


def floor(
    browser: Browser, rounds: int, trace: Path, board: Path | None = None, case: str = ""
) -> dict[str, float]:
    """The floor's page (bench.latency's floor: one label a POST pushes a new value to), traced the same way:
    what the browser does for the least change a message can make. With `board` (a console page's board,
    bench.board_floor), the board floor's page of `case`: what the browser must do for what that case changes
    on screen."""
    with floor_server(board) as url, httpx.Client() as client:
        context, pages, label = floor_pages(browser, url, 1, f"/board?case={quote(case)}" if board else "")
        browser.start_tracing(page=pages[0], path=trace, categories=CATEGORIES)
        collect(pages, client, rounds, lambda _: label)
        browser.stop_tracing()
        if board is not None and pages[0].evaluate("window.boardChanges ?? 0") != rounds:
            raise RuntimeError("the board floor's page did not change its board at every push")
        context.close()
    return per_message(trace, rounds)


def measure(conversations: int, rounds: int, cases: tuple[str, ...]) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    with (
        sync_playwright() as playwright,
        seeded_server(conversations) as (server, seeded),
        tempfile.TemporaryDirectory() as scratch,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        figures["floor"] = floored = floor(browser, rounds, Path(scratch) / "floor.json")
        print(f"render trace, the floor's page, per message: {floored}", flush=True)
        board = copy_board(browser, server.url, Path(scratch) / "board.html")
        for case in cases:
            figures[f"board_floor_{case}"] = least = floor(
                browser, rounds, Path(scratch) / "board.json", board, case
            )
            print(f"render trace, the board floor's page, {case}, per message: {least}", flush=True)
        context, pages = console_pages(browser, server.url, 1)
        took = 0.0
        with httpx.Client() as client:
            for case in (*cases, "idle"):
                trace = Path(scratch) / "trace.json"
                browser.start_tracing(page=pages[0], path=trace, categories=CATEGORIES)
                if case == "idle":
                    time.sleep(took / len(cases))  # a benchmark's idle stretch, as long as one case took
                else:
                    started = time.monotonic()
                    collect(pages, client, rounds, targets(case, pages, seeded, server.url))
                    took += time.monotonic() - started
                browser.stop_tracing()
                figures[case] = measured = per_message(trace, rounds)
                print(
                    f"render trace, one page, {conversations} conversations, {case}, per message: {measured}",
                    flush=True,
                )
        context.close()
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.render_trace")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--case", choices=CASES, action="append", help="how messages spread (repeatable)")
    args = parser.parse_args()
    cases = tuple(case for case in (args.case or CASES) if case != "presence")  # one page: no other to open
    print(json.dumps({"benchmark": "render_trace", **measure(args.conversations, args.rounds, cases)}))


if __name__ == "__main__":
    main()
