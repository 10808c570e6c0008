"""Previous / "Page N of M" / Next under a list whose pages are cut on the server and named in the URL."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui


def pager(page: int, pages: int, address: Callable[[int], str]) -> None:
    """Nothing when everything fits on one page; `address(n)` is the URL of page n."""
    if pages <= 1:
        return
    with ui.row().classes("items-center gap-3").props("data-testid=pager"):
        if page > 1:
            ui.link("Previous", address(page - 1))
        ui.label(f"Page {page} of {pages}").classes("text-grey-8")
        if page < pages:
            ui.link("Next", address(page + 1))
