"""A service's section on the Human Handoff screen: its name, mode buttons and the first cards in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

from nicegui import ui

from handoff.views import MODES, ConversationView, Mode, ServiceView
from handoff_ui.board_index import BoardIndex
from handoff_ui.board_push import BoardPush, can_follow
from handoff_ui.cards import Cell, ConversationCard, Faces
from handoff_ui.words import MODE_WORDS

# Cards rendered per service before "Show more" (four rows of four in a 1400x900 window). Building a card was
# most of a page's build (~3 ms each as ten elements, NiceGUI's per-element work; four elements now): /handoff
# with 10,000 live conversations was answered in 170-410 ms with 30 per service, 80-140 ms with 12-16.
PAGE_SIZE = 16


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


class CardGrid(ui.element, component="components/card_grid.js"):
    """The grid of a service's cards: a card is rendered again in the browser only when it changed itself, not
    when another card moved, entered or left; it applies the board pushes of its service (card_grid.js)."""

    def __init__(self, service_slug: str) -> None:
        super().__init__()
        self.props["service"] = service_slug


class ServiceSection:
    """Renders the first `cap` cards of the shared index for one service, updated in place."""

    def __init__(
        self,
        service: ServiceView,
        index: BoardIndex,
        faces: Faces,
        *,
        on_open: Callable[[str], None],
        on_mode: Callable[[str, Mode], Awaitable[None]],
        can_change_mode: bool,
    ) -> None:
        self.service = service
        self.cap = PAGE_SIZE
        self._index = index
        self._faces = faces
        self._on_open = on_open
        self.cards: dict[str, ConversationCard] = {}
        with ui.element("section").classes("w-full q-mb-lg") as self.element:
            self.element.props(f"data-testid=service-{service.slug} data-mode={service.mode}")
            with ui.row().classes("items-center gap-3 q-mb-sm"):
                self.title = ui.label(service.name).classes("text-h6")
                self.modes = ModeButtons(
                    service.mode, lambda mode: on_mode(service.slug, mode), enabled=can_change_mode
                )
                self.count = ui.label().classes("text-grey-7")
            # The grid changes whenever a card moves, enters or leaves; NiceGUI renders an element again from
            # its nearest component above it: without this Cell, that was the whole page's content (every
            # section, its mode buttons, its labels) on every such message.
            with Cell().classes("w-full"):
                self.grid = CardGrid(service.slug).classes("w-full grid gap-3")
                self.grid.style("grid-template-columns: repeat(auto-fill, minmax(300px, 1fr))")
            with ui.row().classes("items-center gap-2 q-mt-sm") as self.more_row:
                self.more = ui.label().classes("text-grey-8")
                ui.button("Show more", on_click=self.show_more).props("flat no-caps dense")
        self.sync()

    def show_mode(self, mode: Mode) -> None:
        self.service = replace(self.service, mode=mode)
        self.element.props(f"data-mode={mode}")
        self.modes.show(mode)

    def show_service(self, service: ServiceView) -> None:
        """The service's settings changed: its name (and mode) as they are now."""
        self.service = service
        self.title.set_text(service.name)
        self.show_mode(service.mode)

    def show_more(self) -> None:
        self.cap += PAGE_SIZE
        self.sync()

    def show_change(
        self, before: ConversationView | None, after: ConversationView, push: BoardPush | None = None
    ) -> None:
        """One card changed. Mostly it keeps its place (a new message on a card already on top), or it stays
        below the cards shown: then only that card is redrawn, or nothing; otherwise the section is synced.

        With `push`, a card entering the cards shown (it took over the last card's element and moved to its
        rank, and nothing else changed) is taken back from NiceGUI's outbox and left to the push
        (board_push.py): four elements with the whole face on every page, where a push is one packet."""
        card = self.cards.get(after.id)
        entering = push is not None and card is None
        waiting = can_follow(self.grid.client, self._board) if entering else None
        rank = self._index.rank(after)
        children = self.grid.default_slot.children
        last = children[-1] if children else None
        if card is not None and rank is not None and rank < len(children) and children[rank] is card:
            card.show(after)
        elif card is None and rank is not None and rank >= self.cap and before is not None and before.active:
            return  # below the cards shown, before and after, and counted already: nothing on screen changes
        else:
            self.sync()
        if push is None or waiting is None or rank is None or rank >= len(children):
            return  # not a card entering, or a page that cannot follow: NiceGUI's own updates go
        shown = children[rank]
        if isinstance(shown, ConversationCard) and shown.view is after and shown is last:
            push.take_back(self.grid.client, waiting, (self.grid.id, *shown.pushed), rank)

    def _board(self) -> list[int]:
        """The grid and everything in it."""
        return [element.id for element in self.grid.descendants(include_self=True)]

    def resend(self) -> None:
        """Send the grid and its cards to the browser again, as they are (a page back from a lost connection
        may have missed a push)."""
        for element in self.grid.descendants(include_self=True):
            element.update()

    def show_viewers(self, conversation_id: str) -> None:
        """Who has the conversation open changed: its card's face, if the card is shown (Faces knows who)."""
        card = self.cards.get(conversation_id)
        if card is not None:
            card.show(card.view)

    def sync(self) -> None:
        """Make the rendered cards the index's first `cap`, moving, adding or removing only what changed."""
        visible = self._index.top(self.service.slug, self.cap)
        wanted = {view.id for view in visible}
        leaving = [self.cards.pop(c) for c in [c for c in self.cards if c not in wanted]]
        children = self.grid.default_slot.children
        for position, view in enumerate(visible):
            card = self.cards.get(view.id)
            if card is None and leaving:
                card = self.cards[view.id] = leaving.pop()
                card.reuse(view)
            elif card is None:
                with self.grid:
                    card = self.cards[view.id] = ConversationCard(view, self._faces, self._on_open)
            elif card.view is not view:
                card.show(view)
            if position >= len(children) or children[position] is not card:
                card.move(target_index=position)
        for card in leaving:
            card.delete()
        total = self._index.count(self.service.slug)
        rest = total - len(visible)
        self.more.set_text(f"{rest} more conversation{'' if rest == 1 else 's'} (attention first)")
        self.more_row.set_visibility(rest > 0)
        self.count.set_text(f"{total} active")
