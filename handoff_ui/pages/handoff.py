"""The Human Handoff screen: stats bar, services with their modes, live conversation cards, the panel."""

from __future__ import annotations

from nicegui import background_tasks, ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.events import (
    ConversationUpdated,
    ServiceAdded,
    ServiceChanged,
    ServiceModeChanged,
    ViewersChanged,
)
from handoff.views import AgentRef, Mode, ServiceView, Stats
from handoff_ui.components.confirm import confirm_ai_only
from handoff_ui.components.page import enter
from handoff_ui.live import Live
from handoff_ui.panel import ConversationPanel
from handoff_ui.services_view import ModeButtons, ServiceSection
from handoff_ui.words import ACTIVE, NEEDS_ATTENTION, PAUSED, SET_ALL

PANEL_WIDTH = 480  # px


class HandoffScreen:
    def __init__(self, core: Core, live: Live, agent: AgentRef) -> None:
        self._core = core
        self._live = live
        self._agent = agent
        self.sections: dict[str, ServiceSection] = {}
        self._connected_before = False  # a connect after the first is a page back from a lost connection

    async def build(self) -> None:
        """The screen below the frame (drawn by `enter`)."""
        services = await self._core.services.all()
        # From here on nothing awaits until the subscriptions below: the page draws the shared index as it
        # is now and then follows every change, so no change can fall in between.

        # Beside the page on a wide window (the page makes room: Quasar pads the page container by the
        # drawer's width), over it below Quasar's 1024 px breakpoint, where a click outside closes it. Numbers
        # and booleans, not strings: the string "false" made the drawer an overlay over the grid (issue 18).
        drawer = ui.right_drawer(value=False, fixed=True, bordered=True).classes("q-pa-md")
        drawer.props.update({"width": PANEL_WIDTH, "overlay": False})
        self.panel = ConversationPanel(self._core, self._live, self._agent, drawer)

        with ui.column().classes("w-full q-pa-md gap-4"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label("Human Handoff").classes("text-h5")
                ui.space()
                self._set_all = ui.row().classes("items-center gap-2").props("data-testid=set-all-services")
                with self._set_all:
                    ui.label(SET_ALL).classes("text-grey-8")
                    self._set_all_buttons = ModeButtons(
                        _common_mode([s.mode for s in services]),
                        self._set_all_modes,
                        enabled=self._agent.is_admin,
                    )
                self._set_all.set_visibility(len(services) >= 2)
            self._stats = self._stats_bar(self._live.stats)
            self._sections = ui.column().classes("w-full gap-2")
            with self._sections:
                with ui.row().classes("items-center gap-2") as self._empty:
                    ui.label("No services yet.").classes("text-grey-8")
                    if self._agent.is_admin:
                        ui.link("Add one on the Services page", "/services")
                self._empty.set_visibility(not services)
                for service in services:
                    self._add_section(service)

        self._live.card_changed.subscribe(self._on_card)
        self._live.message_added.subscribe(self.panel.on_message)
        self._live.mode_changed.subscribe(self._on_mode)
        self._live.service_added.subscribe(self._on_service)
        self._live.service_changed.subscribe(self._on_service_changed)
        self._live.stats_changed.subscribe(self._show_stats)
        self._live.index_reloaded.subscribe(self._resync)
        self._live.note_added.subscribe(self.panel.on_note)
        self._live.viewers_changed.subscribe(self._on_viewers)
        self._live.canned_replies_changed.subscribe(self.panel.on_canned_replies)
        ui.context.client.on_connect(self._on_connect)  # its first connect comes after this page is sent

    def _on_connect(self) -> None:
        """A page back from a lost connection is sent its board again: a board push it missed while away is
        not in the history NiceGUI replays (board_push.py)."""
        if self._connected_before:
            for section in self.sections.values():
                section.resend()
        self._connected_before = True

    def _stats_bar(self, stats: Stats) -> dict[str, ui.label]:
        labels = {}
        with ui.row().classes("w-full gap-3"):
            for key, title, color in (
                ("active", ACTIVE, "text-grey-9"),
                ("attention", NEEDS_ATTENTION, "text-red-7"),
                ("paused", PAUSED, "text-orange-8"),
            ):
                with ui.card().classes("q-pa-sm min-w-[180px]"):
                    ui.label(title).classes("text-caption text-grey-8")
                    labels[key] = ui.label(str(getattr(stats, key))).classes(f"text-h5 {color}")
                    labels[key].props(f"data-testid=stat-{key}")
        return labels

    def _show_stats(self, stats: Stats) -> None:
        for key, label in self._stats.items():
            label.set_text(str(getattr(stats, key)))

    def _add_section(self, service: ServiceView) -> None:
        with self._sections:
            self.sections[service.slug] = ServiceSection(
                service,
                self._live.index,
                self._live.faces,
                on_open=self.open,
                on_mode=self._set_mode,
                can_change_mode=self._agent.is_admin,
            )

    def open(self, conversation_id: str) -> None:
        background_tasks.create(self.panel.open(conversation_id), name="open conversation")

    def _on_card(self, event: ConversationUpdated) -> None:
        section = self.sections.get(event.after.service_slug)
        if section is not None:
            section.show_change(event.before, event.after, self._live.push)
        self.panel.on_card(event)

    def _on_viewers(self, event: ViewersChanged) -> None:
        """Who has a conversation open changed: its card (when shown) and the panel (when it is open)."""
        view = self._live.index.get(event.conversation_id)
        section = None if view is None else self.sections.get(view.service_slug)
        if section is not None:
            section.show_viewers(event.conversation_id)
        self.panel.on_viewers(event)

    async def _resync(self) -> None:
        for section in self.sections.values():
            section.sync()
        await self.panel.catch_up()

    def _on_mode(self, event: ServiceModeChanged) -> None:
        section = self.sections.get(event.service.slug)
        if section is not None:
            section.show_mode(event.service.mode)
        self._set_all_buttons.show(_common_mode([s.service.mode for s in self.sections.values()]))
        self.panel.on_mode(event)

    def _on_service(self, event: ServiceAdded) -> None:
        self._add_section(event.service)
        self._services_counted()

    def _on_service_changed(self, event: ServiceChanged) -> None:
        """A renamed service is shown by its new name; an archived one leaves the screen, a restored one
        comes back."""
        service = event.after
        section = self.sections.get(service.slug)
        if service.archived:
            if section is not None:
                self.sections.pop(service.slug).element.delete()
        elif section is None:
            self._add_section(service)
        else:
            section.show_service(service)
        self._services_counted()

    def _services_counted(self) -> None:
        self._set_all.set_visibility(len(self.sections) >= 2)
        self._set_all_buttons.show(_common_mode([s.service.mode for s in self.sections.values()]))
        self._empty.set_visibility(not self.sections)

    async def _set_mode(self, slug: str, mode: Mode) -> None:
        await self._change_modes([slug], mode)

    async def _set_all_modes(self, mode: Mode) -> None:
        await self._change_modes(None, mode)

    async def _change_modes(self, slugs: list[str] | None, mode: Mode) -> None:
        if not self._agent.is_admin:
            ui.notify("Only admins change service modes", type="warning")
            return
        targets = slugs if slugs is not None else list(self.sections)
        held = await self._core.services.held_count(targets) if mode == "ai_only" else 0
        if held and not await confirm_ai_only(held):
            return
        try:
            if slugs is None:
                await self._core.services.set_all_modes(mode=mode, agent=self._agent)
            else:
                await self._core.services.set_mode(slug=slugs[0], mode=mode, agent=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")


def register(core: Core, live: Live) -> None:
    @ui.page("/handoff", title="Human Handoff · Handoff")
    async def handoff(conversation: str | None = None) -> object:
        screens: list[HandoffScreen] = []  # the screen, once drawn below the frame its toasts open into
        agent = await enter(core, live, "/handoff", on_open=lambda cid: screens[0].open(cid))
        if not isinstance(agent, AgentRef):
            return agent
        screen = HandoffScreen(core, live, agent)
        screens.append(screen)
        await screen.build()
        if conversation:
            screen.open(conversation)
        return None


def _common_mode(modes: list[str]) -> str:
    return modes[0] if modes and all(m == modes[0] for m in modes) else ""
