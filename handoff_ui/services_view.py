"""A service's section on the Human Handoff screen: its name, mode buttons and capped, ordered cards."""

from __future__ import annotations

import bisect
from collections.abc import Awaitable, Callable

from nicegui import ui

from handoff.views import MODES, ConversationView, Mode, ServiceView
from handoff_ui.cards import ConversationCard
from handoff_ui.words import MODE_WORDS

PAGE_SIZE = 50
SortKey = tuple[bool, float, str]


def sort_key(view: ConversationView) -> SortKey:
    """Attention first, then the most recent activity."""
    return (not view.needs_attention, -view.last_activity_at.timestamp(), view.id)


class ModeButtons:
    """AI Only / Human-Supported AI / Human Only as a button group; the current mode is highlighted."""

    def __init__(self, mode: str, on_choose: Callable[[Mode], Awaitable[None]], *, enabled: bool) -> None:
        with ui.button_group().props("unelevated") as self.group:
            self.buttons = {
                choice: ui.button(MODE_WORDS[choice], on_click=lambda c=choice: on_choose(c)).props("no-caps")
                for choice in MODES
            }
        if not enabled:
            for button in self.buttons.values():
                button.disable()
            with self.group:
                ui.tooltip("Only admins change service modes")
        self.show(mode)

    def show(self, mode: str) -> None:
        for choice, button in self.buttons.items():
            selected = choice == mode
            button.props(
                f"color={'primary' if selected else 'white'} text-color={'white' if selected else 'primary'} "
                f"aria-pressed={str(selected).lower()}"
            )


class ServiceSection:
    """Keeps every active card's snapshot in order and renders the first `cap` of them."""

    def __init__(
        self,
        service: ServiceView,
        views: list[ConversationView],
        *,
        on_open: Callable[[str], None],
        on_mode: Callable[[str, Mode], Awaitable[None]],
        can_change_mode: bool,
    ) -> None:
        self.service = service
        self.cap = PAGE_SIZE
        self._on_open = on_open
        self._views = {view.id: view for view in views}
        self._order: list[tuple[SortKey, str]] = sorted((sort_key(v), v.id) for v in views)
        self.cards: dict[str, ConversationCard] = {}
        with ui.element("section").classes("w-full q-mb-lg") as self.element:
            self.element.props(f"data-testid=service-{service.slug} data-mode={service.mode}")
            with ui.row().classes("items-center gap-3 q-mb-sm"):
                ui.label(service.name).classes("text-h6")
                self.modes = ModeButtons(
                    service.mode, lambda mode: on_mode(service.slug, mode), enabled=can_change_mode
                )
                self.count = ui.label().classes("text-grey-7")
            self.grid = ui.element("div").classes("w-full grid gap-3")
            self.grid.style("grid-template-columns: repeat(auto-fill, minmax(300px, 1fr))")
            with ui.row().classes("items-center gap-2 q-mt-sm") as self.more_row:
                self.more = ui.label().classes("text-grey-8")
                ui.button("Show more", on_click=self.show_more).props("flat no-caps dense")
        self._sync()

    def show_mode(self, mode: str) -> None:
        self.service = ServiceView(self.service.id, self.service.slug, self.service.name, mode)  # type: ignore[arg-type]
        self.element.props(f"data-mode={mode}")
        self.modes.show(mode)

    def upsert(self, view: ConversationView) -> None:
        """Show the new snapshot, moving the card if its place changed; an ended conversation leaves."""
        old = self._views.pop(view.id, None)
        if old is not None:
            self._order.pop(bisect.bisect_left(self._order, (sort_key(old), old.id)))
        if view.active:
            self._views[view.id] = view
            bisect.insort(self._order, (sort_key(view), view.id))
        self._sync()

    def show_more(self) -> None:
        self.cap += PAGE_SIZE
        self._sync()

    def _sync(self) -> None:
        visible = [conversation_id for _, conversation_id in self._order[: self.cap]]
        wanted = set(visible)
        for conversation_id in [c for c in self.cards if c not in wanted]:
            self.cards.pop(conversation_id).delete()
        children = self.grid.default_slot.children
        for index, conversation_id in enumerate(visible):
            view = self._views[conversation_id]
            card = self.cards.get(conversation_id)
            if card is None:
                with self.grid:
                    card = self.cards[conversation_id] = ConversationCard(view, self._on_open)
            elif card.view is not view:
                card.show(view)
            if index >= len(children) or children[index] is not card:
                card.move(target_index=index)
        rest = len(self._order) - len(visible)
        self.more.set_text(f"{rest} more conversation{'' if rest == 1 else 's'} (attention first)")
        self.more_row.set_visibility(rest > 0)
        self.count.set_text(f"{len(self._order)} active")
