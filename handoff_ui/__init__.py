"""The NiceGUI console. `install(core)` registers its pages; nothing happens at import time."""

from __future__ import annotations

from handoff.core import Core


def install(core: Core) -> None:
    """Register the console's pages."""
    from nicegui import ui

    @ui.page("/")
    def index() -> None:
        ui.navigate.to("/docs")
