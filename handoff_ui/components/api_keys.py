"""A service's bot API keys on its settings page: labelled, created (shown once), last used, revoked."""

from __future__ import annotations

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.events import ApiKeysChanged
from handoff.views import AgentRef, ApiKeyView
from handoff_ui.cards import relative_time
from handoff_ui.components.secrets import show_once
from handoff_ui.live import Live


class ApiKeys:
    def __init__(self, core: Core, live: Live, agent: AgentRef, slug: str, keys: list[ApiKeyView]) -> None:
        self._core = core
        self._agent = agent
        self._slug = slug
        with ui.card().classes("w-full q-pa-md gap-2"):
            ui.label("API keys").classes("text-subtitle1")
            ui.label("For an external bot posting its answers (X-API-Key).").classes("text-grey-8")
            self._rows = ui.column().classes("w-full gap-1")
            with ui.row().classes("items-center gap-2"):
                self._label = ui.input("Label").props("outlined dense")
                ui.button("New API key", on_click=self._create).props("no-caps outline")
        self._draw(keys)
        live.api_keys_changed.subscribe(self._on_changed)

    async def _on_changed(self, event: ApiKeysChanged) -> None:
        if event.service_slug == self._slug:
            self._draw(await self._core.keys.listed(slug=self._slug, agent=self._agent))

    def _draw(self, keys: list[ApiKeyView]) -> None:
        self._rows.clear()
        with self._rows:
            if not keys:
                ui.label("No keys yet.").classes("text-grey-7")
            for key in keys:
                with (
                    ui.row()
                    .classes("w-full items-center gap-3")
                    .props(f"data-testid=api-key data-key-id={key.id}")
                ):
                    ui.label(key.label or "(no label)")
                    ui.label(f"{key.prefix}…").classes("font-mono text-grey-8")
                    ui.label(f"created {relative_time(key.created_at)}").classes("text-grey-7 text-sm")
                    used = relative_time(key.last_used_at) if key.last_used_at else "never used"
                    ui.label(f"last used {used}" if key.last_used_at else used).classes("text-grey-7 text-sm")
                    ui.space()
                    if key.revoked_at is not None:
                        ui.label("Revoked").classes("text-negative")
                    else:
                        ui.button("Revoke", on_click=lambda k=key: self._revoke(k)).props(
                            "flat dense no-caps color=negative"
                        )

    async def _create(self) -> None:
        try:
            key = await self._core.keys.create(
                slug=self._slug, label=self._label.value or "", agent=self._agent
            )
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        self._label.set_value("")
        show_once("The new API key", key)

    async def _revoke(self, key: ApiKeyView) -> None:
        try:
            await self._core.keys.revoke(slug=self._slug, key_id=key.id, agent=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")
