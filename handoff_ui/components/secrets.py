"""A secret shown once (an API key, a bot's signing secret, a generated password), with a copy button."""

from __future__ import annotations

from nicegui import ui


def show_once(title: str, secret: str) -> None:
    """A dialog with the secret as text; closing it is the last time anyone sees it."""
    with ui.dialog() as dialog, ui.card().classes("w-96").props("data-testid=shown-once"):
        ui.label(title).classes("text-h6")
        ui.label("Shown only once: copy it now.").classes("text-grey-8")
        ui.label(secret).classes("font-mono break-all q-pa-sm bg-grey-2").props("data-testid=secret")
        with ui.row().classes("w-full justify-end"):
            ui.button("Copy", icon="content_copy", on_click=lambda: ui.clipboard.write(secret)).props(
                "flat no-caps"
            )
            ui.button("Done", on_click=dialog.close).props("no-caps")
    dialog.on("hide", dialog.delete)
    dialog.open()
