"""Soak: the demo's traffic (`serve --demo`) for an hour with 25 console pages open in Chromium, 5 of them
closed and 5 new ones opened every 5 minutes. Once a minute the server's /metrics are read: its memory, the
bus's subscriptions, the console tabs, NiceGUI's clients, the pages' listeners and the event loop's tasks
(less the demo's own: one per simulated customer). At the end every page is closed and the
figures are read again once the server has let go of the tabs.

What must hold: memory flat after the first minutes (the slope from minute 5 on, in MB per hour), the
subscriptions and tasks back where they were before the pages opened, and no error in the server's log.

    .venv/bin/python -m bench.soak [--minutes 60] [--pages 25]

Prints figures as it goes and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, Page, sync_playwright

from bench.common import VIEWPORT, errors_in, log_in
from tests.support import CHROMIUM, CHROMIUM_ARGS, Server, add_agent, metric_figures

TOKEN = "soak"
FIGURES = {
    "handoff_process_resident_memory_bytes": "rss_mb",
    "handoff_bus_subscriptions": "subscriptions",
    "handoff_console_tabs": "tabs",
    "handoff_event_loop_tasks": "tasks",
    "handoff_console_clients": "clients",
    "handoff_console_listeners": "listeners",
    "handoff_demo_tasks": "demo_tasks",
}


def scrape(server: Server) -> dict[str, float]:
    text = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).text
    figures = {FIGURES[name]: value for name, value in metric_figures(text).items() if name in FIGURES}
    figures["rss_mb"] = round(figures["rss_mb"] / 2**20, 1)
    return figures


def own_tasks(figures: dict[str, float]) -> float:
    """The event loop's tasks less the demo's (its customers come and go)."""
    return figures["tasks"] - figures["demo_tasks"]


def settled(server: Server, tabs: int, seconds: float = 120.0) -> dict[str, float]:
    """The figures once the server holds `tabs` console tabs (it lets a closed page go after its reconnect
    time), read twice a second until then."""
    deadline = time.monotonic() + seconds
    while True:
        figures = scrape(server)
        if figures["tabs"] == tabs or time.monotonic() > deadline:
            return figures
        time.sleep(0.5)


def open_console(context: BrowserContext, server: Server) -> Page:
    page = context.new_page()
    page.goto(server.url + "/handoff")
    page.wait_for_function("window.did_handshake === true", timeout=60_000)
    return page


def run(minutes: int, pages: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'soak.db'}"
        add_agent(url, "ada@example.com", "Ada", admin=True)
        log = Path(scratch) / "server.log"
        server = Server(url, log, "--demo", HANDOFF_METRICS_TOKEN=TOKEN).start()
        try:
            before = settled(server, 0)
            print(f"before any page: {before}", flush=True)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                login = context.new_page()
                log_in(login, server.url)
                login.close()
                open_pages = [open_console(context, server) for _ in range(pages)]
                samples = []
                started = time.monotonic()
                for minute in range(1, minutes + 1):
                    time.sleep(max(0.0, started + minute * 60 - time.monotonic()))  # the soak's own pace
                    if minute % 5 == 0:  # churn: five pages go, five new ones come
                        for page in open_pages[:5]:
                            page.close()
                        open_pages = open_pages[5:] + [open_console(context, server) for _ in range(5)]
                    figures = scrape(server) | {"minute": minute}
                    samples.append(figures)
                    print(f"minute {minute}: {figures}", flush=True)
                for page in open_pages:
                    page.close()
                browser.close()
            after = settled(server, 0)
            print(f"after every page closed: {after}", flush=True)
        finally:
            server.stop()
        errors = errors_in(log.read_text(errors="replace"))
    steady = [sample for sample in samples if sample["minute"] >= 5] or samples
    slope = (
        statistics.linear_regression([s["minute"] for s in steady], [s["rss_mb"] for s in steady]).slope * 60
        if len(steady) > 1
        else 0.0
    )
    result = {
        "benchmark": "soak",
        "minutes": minutes,
        "pages": pages,
        "before": before,
        "after": after,
        "rss_mb_at_5_min": steady[0]["rss_mb"],
        "rss_mb_at_end": samples[-1]["rss_mb"],
        "rss_slope_mb_per_hour_from_minute_5": round(slope, 1),
        "subscriptions_left_behind": after["subscriptions"] - before["subscriptions"],
        "clients_left_behind": after["clients"] - before["clients"],
        "listeners_left_behind": after["listeners"] - before["listeners"],
        "tasks_left_behind": own_tasks(after) - own_tasks(before),
        "errors_in_log": errors,
        "samples": samples,
    }
    print(
        f"RSS {result['rss_mb_at_5_min']} MB at 5 min -> {result['rss_mb_at_end']} MB at {minutes} min "
        f"(slope {result['rss_slope_mb_per_hour_from_minute_5']} MB/h); left behind after the pages closed: "
        f"{result['subscriptions_left_behind']} subscriptions, {result['clients_left_behind']} clients, "
        f"{result['listeners_left_behind']} listeners, {result['tasks_left_behind']} tasks; "
        f"{errors} errors in the log",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--pages", type=int, default=25)
    args = parser.parse_args()
    print(json.dumps(run(args.minutes, args.pages)))


if __name__ == "__main__":
    main()
