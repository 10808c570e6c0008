"""The NiceGUI console. `install(core)` registers its pages; nothing happens at import time."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from handoff.core import Core

if TYPE_CHECKING:
    from handoff_ui.live import Live

STATIC = Path(__file__).parent / "static"
SOUNDS = Path(__file__).parent.parent / "assets" / "sounds"


def install(core: Core, *, start_core: bool = False, freeze_startup_heap: bool = False) -> Live:
    """Register the console's pages and start relaying the core's events to them at start-up.

    `start_core` also starts the core (when no API app's lifespan does, as in the UI tests).
    `freeze_startup_heap` (the server) hands what start-up loaded to `gc.freeze()`: the board's index of
    every live conversation stays for the life of the process, and with 10,000 of them each full collection
    walked it again (236 ms of collections while 8 pages opened, 66 ms frozen; ready 995 -> 752 ms).
    """
    from fastapi.responses import RedirectResponse
    from nicegui import app, ui

    from handoff_ui import pages
    from handoff_ui.live import Live
    from handoff_ui.speedups import remember_handler_signatures

    remember_handler_signatures()
    live = Live(core)
    core.metrics.gauge("handoff_console_clients", "NiceGUI clients (console and chat pages)", _client_count)
    core.metrics.gauge("handoff_console_listeners", "pages' live-event callbacks", live.listener_count)

    async def start() -> None:
        if start_core:
            await core.start()
        await live.start()
        if freeze_startup_heap:
            gc.freeze()

    async def stop() -> None:
        await live.stop()
        if start_core:
            await core.stop()

    app.on_startup(start)
    app.on_shutdown(stop)
    app.add_static_files("/handoff-static", STATIC)
    app.add_static_files("/sounds", SOUNDS)
    ui.add_head_html(
        '<link rel="stylesheet" href="/handoff-static/console.css">'
        '<script src="/handoff-static/console.js"></script>',
        shared=True,
    )

    pages.register(core, live)

    @ui.page("/", title="Handoff")
    def index() -> RedirectResponse:
        return RedirectResponse("/handoff", status_code=303)

    return live


def _client_count() -> int:
    from nicegui import Client

    return len(Client.instances)
