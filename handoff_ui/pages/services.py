"""/services (admins): every service with its mode, live conversations and AI; "New service"."""

from __future__ import annotations

import re

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.views import AgentRef, ServiceView
from handoff_ui.components.form import UnsavedGuard
from handoff_ui.components.page import enter
from handoff_ui.live import Live
from handoff_ui.words import AI_WORDS, MODE_WORDS


def suggested_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


class ServicesPage:
    def __init__(self, core: Core, live: Live, agent: AgentRef) -> None:
        self._core = core
        self._live = live
        self._agent = agent
        self._counts: dict[str, ui.label] = {}
        self._services: dict[str, ServiceView] = {}  # kept current from the events, in the order made

    async def build(self) -> None:
        services = await self._core.services.all() + await self._core.services.all(archived=True)
        self._services = {s.slug: s for s in sorted(services, key=lambda s: s.id)}
        with ui.column().classes("w-full max-w-4xl q-pa-lg gap-4"):
            with ui.row().classes("w-full items-center"):
                ui.label("Services").classes("text-h5")
                ui.space()
                ui.button("New service", icon="add", on_click=self._new_dialog_open).props("no-caps")
            self._list = ui.column().classes("w-full gap-2")
            self._draw()
        self._build_new_dialog()
        self._live.service_added.subscribe(lambda event: self._follow(event.service))
        self._live.service_changed.subscribe(lambda event: self._follow(event.after))
        self._live.stats_changed.subscribe(lambda _: self._show_counts())

    def _follow(self, service: ServiceView) -> None:
        self._services[service.slug] = service
        self._draw()

    def _draw(self) -> None:
        services = [s for s in self._services.values() if not s.archived]
        archived = [s for s in self._services.values() if s.archived]
        self._list.clear()
        self._counts = {}
        with self._list:
            if not services:
                ui.label("No services yet: add the first with New service.").classes("text-grey-8")
            for service in services:
                self._row(service)
            if archived:
                ui.label("Archived").classes("text-subtitle1 q-mt-md")
                for service in archived:
                    with (
                        ui.row()
                        .classes("w-full items-center gap-3")
                        .props(f"data-testid=service-row data-slug={service.slug} data-archived=true")
                    ):
                        ui.label(service.name).classes("text-grey-7")
                        ui.label(service.slug).classes("text-grey-6 text-sm")
                        ui.space()
                        ui.button("Restore", on_click=lambda s=service: self._restore(s)).props(
                            "flat no-caps dense"
                        )
        self._show_counts()

    def _row(self, service: ServiceView) -> None:
        card = ui.card().classes("w-full q-pa-md").props(f"data-testid=service-row data-slug={service.slug}")
        with card, ui.row().classes("w-full items-center gap-4"):
            ui.link(service.name, f"/services/{service.slug}").classes("text-h6")
            ui.label(service.slug).classes("text-grey-7 text-sm")
            ui.space()
            ui.badge(MODE_WORDS[service.mode]).props("outline color=primary data-testid=service-mode")
            self._counts[service.slug] = ui.label().props("data-testid=live-count")
            ui.label(AI_WORDS[self._core.services.answered_by(service)]).classes("text-grey-8")
            ui.link("Knowledge", f"/services/{service.slug}/knowledge")

    def _show_counts(self) -> None:
        for slug, label in self._counts.items():
            count = self._live.index.count(slug)
            label.set_text(f"{count} live conversation{'' if count == 1 else 's'}")

    async def _restore(self, service: ServiceView) -> None:
        try:
            await self._core.services.restore(slug=service.slug, agent=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")

    # -- New service -------------------------------------------------------------------------------------

    def _build_new_dialog(self) -> None:
        with ui.dialog() as self._dialog, ui.card().classes("w-96").props("data-testid=new-service"):
            ui.label("New service").classes("text-h6")
            self._guard = UnsavedGuard()
            self._name = ui.input("Name").props("outlined autofocus").classes("w-full")
            self._slug = ui.input("Slug").props("outlined").classes("w-full")
            ui.label("Lowercase letters, digits and dashes: the chat is at /chat/<slug>.").classes(
                "text-caption text-grey-7"
            )
            self._guard.track(self._name, field="name")
            self._guard.track(self._slug, field="slug")
            self._slug_edited = False
            self._name.on_value_change(self._suggest_slug)
            self._slug.on("keydown", self._slug_typed)
            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=self._close_new).props("flat no-caps")
                self._guard.save_button(ui.button("Save", on_click=self._create).props("no-caps"))

    def _new_dialog_open(self) -> None:
        self._dialog.open()

    def _suggest_slug(self) -> None:
        if not self._slug_edited:
            self._slug.set_value(suggested_slug(self._name.value or ""))

    def _slug_typed(self) -> None:
        self._slug_edited = True

    def _close_new(self) -> None:
        self._name.set_value("")
        self._slug.set_value("")
        self._slug_edited = False
        self._guard.saved()
        self._dialog.close()

    async def _create(self) -> None:
        try:
            service = await self._core.services.add(
                slug=self._slug.value or "",
                name=self._name.value or "",
                answered_by="knowledge",
                agent=self._agent,
            )
        except HandoffError as error:
            self._guard.show_error(error)
            return
        self._guard.saved()
        ui.navigate.to(f"/services/{service.slug}")


def register(core: Core, live: Live) -> None:
    @ui.page("/services", title="Services · Handoff")
    async def services_page() -> object:
        agent = await enter(core, live, "/services", admins_only=True)
        if not isinstance(agent, AgentRef):
            return agent
        await ServicesPage(core, live, agent).build()
        return None
