"""One card's change, encoded once and sent to every console page that can follow it (card_grid.js).

NiceGUI sends each page its own copy of every element a change touched: for one customer message, 25 open
pages meant 25 outbox rounds, each turning the same card into dicts, JSON and a Socket.IO packet (issue 17).
The largest is a card entering the cards shown from below: it takes over the last card's element (its face,
count and state, four elements with the whole face) and moves to the front. That change is sent once, as
one Socket.IO packet addressed to all the pages that show the service's first cards alike (python-socketio
encodes a packet for many recipients once); each page's grid applies it to its own elements in the browser,
as a NiceGUI update would have. The server's elements are changed as before, by the same code
(ServiceSection), and the updates NiceGUI queued for them are taken back: the server still knows exactly
what each page shows. A card already shown keeps NiceGUI's path: its update is small (its count; the grid's
order when it moves), and pushing it measured no better (bench.board_floor, issue 17's note).

A page follows only when nothing of its board is already waiting in its outbox (a push must not overtake an
older update of the same elements) and its socket is connected; a page that reconnects is sent its board
again (a push missed while away is not replayed by NiceGUI's message history). Every other change, and every
page that cannot follow, takes NiceGUI's own path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nicegui import Client, background_tasks, core

from handoff.views import ConversationView
from handoff_ui.cards import meta_text

FaceOf = Callable[[ConversationView], str]
EVENT = "handoff_card"  # the Socket.IO event card_grid.js listens to


class BoardPush:
    """The pages that follow the card change being shown now (one per process, kept by Live)."""

    def __init__(self) -> None:
        self._recipients: list[str] = []
        self._rank = 0  # where the card now is in its service: the same on every page (the shared index)

    def take_back(self, client: Client, before: set[int], covered: Iterable[int], rank: int) -> bool:
        """After a page showed the change, the card now at `rank`: if everything the page queued since
        `before` (the outbox's updates before the change) is among `covered` (the elements a push changes),
        take those updates back and make the page a recipient of the push. False (nothing taken back)
        otherwise. Called while the change is shown (the pages' handlers are plain functions), before
        `send`."""
        updates = client.outbox.updates
        new = set(updates) - before
        allowed = set(covered)
        if not new or not new <= allowed:
            return False
        for element_id in new:
            del updates[element_id]
        self._recipients.append(client.id)
        self._rank = rank
        return True

    def send(self, view: ConversationView, face_of: FaceOf) -> None:
        """Send the change to the pages that took it back (one packet for all), then start over."""
        recipients, self._recipients = self._recipients, []
        if not recipients:
            return
        message = {
            "service": view.service_slug,
            "id": view.id,
            "rank": self._rank,
            "face": face_of(view),
            "meta": meta_text(view),
            "status": view.status,
            "attention": view.needs_attention,
        }
        background_tasks.create(core.sio.emit(EVENT, message, room=recipients), name="board push")


def can_follow(client: Client, board: Callable[[], Iterable[int]]) -> set[int] | None:
    """The outbox's queued updates now, if a page can follow a push: connected, and none of its `board`'s
    elements already waiting to be sent (None otherwise)."""
    if not client.has_socket_connection:
        return None
    waiting = set(client.outbox.updates)
    if waiting and not waiting.isdisjoint(board()):
        return None
    return waiting
