"""Asking before an action that can't be taken back: one dialog for every page."""

from __future__ import annotations

from nicegui import ui

from handoff_ui.words import CANCEL, MODE_WORDS


async def confirm(
    title: str, text: str = "", *, action: str, danger: bool = False, test_id: str = ""
) -> bool:
    """True when the user chose `action`, False for Cancel or closing the dialog."""
    with ui.dialog() as dialog, ui.card().classes("w-96") as card:
        if test_id:
            card.props(f"data-testid={test_id}")
        ui.label(title).classes("text-h6")
        if text:
            ui.label(text)
        with ui.row().classes("w-full justify-end"):
            ui.button(CANCEL, on_click=lambda: dialog.submit(False)).props("flat no-caps")
            ui.button(action, on_click=lambda: dialog.submit(True)).props(
                f"no-caps{' color=negative' if danger else ''}"
            ).mark("confirm-action")
    result = await dialog
    dialog.delete()
    return bool(result)


async def confirm_ai_only(held: int) -> bool:
    """Switching to AI Only hands the paused conversations back to the AI: say how many first."""
    noun = "conversation" if held == 1 else "conversations"
    words = MODE_WORDS["ai_only"]
    return await confirm(
        f"Switch to {words}?",
        f"{held} {noun} paused for a human will go back to the AI, and each customer will be told.",
        action=f"Switch to {words}",
        test_id="confirm-mode",
    )
