"""/settings (admins): server-wide settings. Data retention: how long ended conversations are kept (for
ever by default); saving a number of days says first how many conversations that deletes."""

from __future__ import annotations

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.views import AgentRef
from handoff_ui.components.confirm import confirm
from handoff_ui.components.page import enter
from handoff_ui.live import Live
from handoff_ui.words import SAVE


class SettingsPage:
    def __init__(self, core: Core, agent: AgentRef) -> None:
        self._core = core
        self._agent = agent

    async def build(self) -> None:
        days = await self._core.retention.days()
        with ui.column().classes("w-full max-w-2xl q-pa-lg gap-4"):
            ui.label("Settings").classes("text-h5")
            with ui.card().classes("w-full q-pa-md gap-3").props("data-testid=retention"):
                ui.label("Data retention").classes("text-subtitle1")
                ui.label(
                    "Ended conversations older than this are deleted once a day, with their messages, flags, "
                    "notes and search entries. Live conversations are never deleted."
                ).classes("text-grey-8")
                self._keep = ui.radio(
                    {"forever": "Keep for ever", "days": "Delete after"},
                    value=("days" if days else "forever"),
                ).props("inline")
                self._days = ui.number("Days", value=days or 365, min=1, max=3650, step=1, format="%d")
                self._days.props("outlined dense").classes("w-32")
                self._preview = ui.label().classes("text-grey-8").props("data-testid=retention-preview")
                self._days.on_value_change(self._show_preview)
                self._keep.on_value_change(self._show_preview)
                ui.button(SAVE, on_click=self._save).props("no-caps")
        await self._show_preview()

    def _chosen(self) -> int | None:
        return int(self._days.value or 0) if self._keep.value == "days" else None

    async def _show_preview(self) -> None:
        days = self._chosen()
        self._days.set_enabled(self._keep.value == "days")
        if days is None or days < 1:
            self._preview.set_text("Nothing is deleted.")
            return
        count = await self._core.retention.would_delete(days, by=self._agent)
        noun = "conversation" if count == 1 else "conversations"
        verb = "is" if count == 1 else "are"
        self._preview.set_text(f"{count} ended {noun} {verb} older than {days} days and would be deleted.")

    async def _save(self) -> None:
        days = self._chosen()
        if days is not None:
            count = await self._core.retention.would_delete(days, by=self._agent) if days >= 1 else 0
            if count and not await confirm(
                f"Delete {count} ended conversation{'s' if count != 1 else ''}?",
                f"They are older than {days} days. This cannot be undone.",
                action="Delete and save",
                danger=True,
                test_id="confirm-retention",
            ):
                return
        try:
            await self._core.retention.set_days(days, by=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        ui.notify("Saved", type="positive")
        if days is not None:
            await self._core.retention.run()
            await self._show_preview()


def register(core: Core, live: Live) -> None:
    @ui.page("/settings", title="Settings · Handoff")
    async def settings() -> object:
        agent = await enter(core, live, "/settings", admins_only=True)
        if not isinstance(agent, AgentRef):
            return agent
        await SettingsPage(core, agent).build()
        return None
