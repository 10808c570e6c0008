"""When a page follows a board push, and what the push sends (board_push.py; issue 17)."""

from __future__ import annotations

import contextlib
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from nicegui import Client

from handoff_ui import board_push
from handoff_ui.board_push import BoardPush, can_follow
from tests.unit.test_faces import view


@dataclass
class Outbox:
    updates: dict[int, object] = field(default_factory=dict)


@dataclass
class Page:
    """What of a NiceGUI client the push reads: its id, its socket and its outbox's queued updates."""

    id: str
    has_socket_connection: bool = True
    outbox: Outbox = field(default_factory=Outbox)


def client(page: Page) -> Client:
    return cast(Client, page)


@dataclass
class Sent:
    emits: list[tuple[str, dict[str, Any], list[str]]] = field(default_factory=list)

    async def emit(self, event: str, data: dict[str, Any], *, room: list[str]) -> None:
        self.emits.append((event, data, room))


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Sent:
    sent = Sent()
    monkeypatch.setattr(board_push.core, "sio", sent)

    def run_now(work: Coroutine[Any, Any, None], *, name: str) -> None:
        with contextlib.suppress(StopIteration):  # it finishes at once: Sent.emit never waits
            work.send(None)

    monkeypatch.setattr(board_push.background_tasks, "create", run_now)
    return sent


BOARD = [1, 2, 3, 4, 5]  # a grid and its card's elements
PUSHED = (1, 2, 3, 4)  # what a push changes of them


def test_a_page_follows_only_when_connected_and_nothing_of_its_board_waits() -> None:
    assert can_follow(client(Page("a")), lambda: BOARD) == set()
    assert can_follow(client(Page("b", has_socket_connection=False)), lambda: BOARD) is None
    waiting = Page("c", outbox=Outbox({3: object()}))  # its card's count, not sent yet
    assert can_follow(client(waiting), lambda: BOARD) is None
    elsewhere = Page("d", outbox=Outbox({99: object()}))  # a counter above the board
    assert can_follow(client(elsewhere), lambda: BOARD) == {99}


def test_the_updates_a_change_queued_are_taken_back_only_when_the_push_covers_them_all(sent: Sent) -> None:
    push, other = BoardPush(), object()
    covered = Page("a", outbox=Outbox({99: other}))
    covered.outbox.updates.update({1: object(), 3: object()})  # the grid and the card, queued by the change
    assert push.take_back(client(covered), {99}, PUSHED, 0)
    assert covered.outbox.updates == {99: other}  # the counter's update still goes NiceGUI's way

    beyond = Page("b", outbox=Outbox({1: object(), 7: object()}))  # it also queued an element no push changes
    assert not push.take_back(client(beyond), set(), PUSHED, 0)
    assert set(beyond.outbox.updates) == {1, 7}
    assert not push.take_back(client(Page("c")), set(), PUSHED, 0)  # nothing changed on it

    card = view(message_count=3, agent_name=None)
    push.send(card, lambda _view: "the face")
    [(event, data, room)] = sent.emits
    assert (event, room) == ("handoff_card", ["a"])  # one packet, for the page that took its updates back
    assert data == {
        "service": "shop",
        "id": "c1",
        "rank": 0,
        "face": "the face",
        "meta": "· 3 messages",
        "status": "ai_active",
        "attention": False,
    }
    push.send(card, lambda _view: "the face")
    assert len(sent.emits) == 1  # nobody follows the next change yet: nothing is sent
