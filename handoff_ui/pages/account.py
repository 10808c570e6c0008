"""/account (everyone): one's own display name, password and notification preferences."""

from __future__ import annotations

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.views import FLAG_KINDS, AgentRef, Preferences
from handoff_ui.components.form import UnsavedGuard, sentence
from handoff_ui.components.page import enter
from handoff_ui.live import Live
from handoff_ui.session import sign_in
from handoff_ui.words import FLAG_WORDS, SAVE


class AccountPage:
    def __init__(self, core: Core, agent: AgentRef, preferences: Preferences) -> None:
        self._core = core
        self._agent = agent
        self._preferences = preferences

    def build(self) -> None:
        self.guard = guard = UnsavedGuard()
        p = self._preferences
        with ui.column().classes("w-full max-w-2xl q-pa-lg gap-4"):
            ui.label("Account").classes("text-h5")
            with ui.card().classes("w-full q-pa-md gap-3"):
                self._name = guard.track(
                    ui.input("Name", value=self._agent.display_name).props("outlined"), field="name"
                )
                ui.label("Other agents and customers see this name.").classes("text-caption text-grey-7")
            with ui.card().classes("w-full q-pa-md gap-3"):
                ui.label("Notifications").classes("text-subtitle1")
                self._sound = guard.track(ui.switch("Sound", value=p.sound))
                self._volume = guard.track(ui.slider(min=0, max=1, step=0.1, value=p.volume).props("label"))
                ui.label("Alert me for").classes("text-grey-8")
                self._kinds = {
                    kind: guard.track(ui.checkbox(FLAG_WORDS[kind], value=kind in p.alert_kinds))
                    for kind in FLAG_KINDS
                }
                self._desktop = guard.track(
                    ui.switch("Desktop notifications while the tab is hidden", value=p.desktop_notifications)
                )
            guard.save_button(ui.button(SAVE, on_click=self.save).props("no-caps"))
            with ui.card().classes("w-full q-pa-md gap-3"):
                ui.label("Password").classes("text-subtitle1")
                self._current = ui.input("Current password", password=True).props("outlined")
                self._new = ui.input("New password", password=True).props("outlined")
                self._errors = {"current_password": self._current, "new_password": self._new}
                ui.button("Change password", on_click=self.change_password).props("no-caps outline")

    async def save(self) -> None:
        try:
            if (self._name.value or "").strip() != self._agent.display_name:
                self._agent = await self._core.accounts.rename(agent=self._agent, name=self._name.value or "")
            preferences = Preferences(
                sound=bool(self._sound.value),
                volume=float(self._volume.value or 0),
                alert_kinds=tuple(k for k, box in self._kinds.items() if box.value),
                desktop_notifications=bool(self._desktop.value),
            )
            self._preferences = await self._core.accounts.set_preferences(
                agent=self._agent, preferences=preferences
            )
        except HandoffError as error:
            self.guard.show_error(error)
            return
        self.guard.saved()
        ui.notify("Saved.", type="positive")

    async def change_password(self) -> None:
        for element in self._errors.values():
            element.error = None
        try:
            await self._core.accounts.change_password(
                agent=self._agent, current=self._current.value or "", new=self._new.value or ""
            )
        except HandoffError as error:
            field = self._errors.get(error.field or "")
            if field is not None:
                field.error = sentence(str(error))
            else:
                ui.notify(str(error), type="warning")
            return
        sign_in(self._agent, await self._core.accounts.session_key(self._agent.id))  # this browser stays in
        self._current.set_value("")
        self._new.set_value("")
        ui.notify("Password changed. Your other browsers are signed out.", type="positive")


def register(core: Core, live: Live) -> None:
    @ui.page("/account", title="Account · Handoff")
    async def account_page() -> object:
        agent = await enter(core, live, "/account")
        if not isinstance(agent, AgentRef):
            return agent
        AccountPage(core, agent, await core.accounts.preferences(agent.id)).build()
        return None
