"""A conversation card: drawn once, then updated in place from each new snapshot."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from nicegui import ui

from handoff.views import ConversationView, FlagView, Viewer
from handoff_ui.words import FLAG_COLORS, FLAG_WORDS, STATUS_COLORS, STATUS_WORDS


def relative_time(moment: datetime) -> str:
    """The same words as the browser's `handoffRelative`, for the first render."""
    seconds = max(0.0, (datetime.now(UTC) - moment).total_seconds())
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = round(minutes / 60)
    return f"{hours} h ago" if hours < 24 else f"{round(hours / 24)} d ago"


def iso_utc(moment: datetime) -> str:
    """An ISO time the browser reads as UTC (a naive one would be read as the browser's local time)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def badge_classes(color: str, *, outline: bool = False) -> str:
    """The classes Quasar's QBadge gives itself for this colour."""
    look = f"q-badge--outline text-{color}" if outline else f"bg-{color}"
    return f"q-badge flex inline items-center no-wrap q-badge--single-line {look}"


def badge(text: str = "", *, color: str, outline: bool = False) -> ui.label:
    """What ui.badge draws (Quasar's badge classes and role), on a plain element instead of a QBadge
    component (a component per badge cost every console page a component update each time; issue 6). The
    panel's badges; a card's face draws the same classes in card_face.js."""
    return ui.label(text).classes(badge_classes(color, outline=outline)).props("role=status")


def flag_explanation(flag: FlagView) -> str:
    """Why a flag was raised, with the detector's score when it gave one."""
    return flag.reason + (f" (score {flag.score:+.2f})" if flag.score is not None else "")


def location(view: ConversationView) -> str:
    return ", ".join(part for part in (view.city, view.region) if part) or "Unknown location"


def customer_and_location(view: ConversationView) -> str:
    """ "Ada Lovelace · Berlin, Land Berlin": the customer's name when the chat widget named them."""
    return f"{view.customer_name} · {location(view)}" if view.customer_name else location(view)


class Cell(ui.element, component="components/cell.js"):
    """A <div> (or `tag`) that is its own Vue component: a change inside it re-renders only it (cell.js)."""

    def __init__(self, tag: str = "div") -> None:
        super().__init__()
        if tag != "div":
            self.props["tag"] = tag


def meta_text(view: ConversationView) -> str:
    """ "· 3 messages · Claimed by Bob": a card's last line, which changes with every message."""
    count = f"· {view.message_count} message{'' if view.message_count == 1 else 's'}"
    return f"{count} · Claimed by {view.claimed_by_name}" if view.claimed_by_name else count


def initials(name: str) -> str:
    """ "Ada Lovelace" -> "AL"; one word -> its first two letters."""
    words = name.split()
    letters = "".join(word[0] for word in words[:2]) if len(words) > 1 else name.strip()[:2]
    return letters.upper() or "?"


def face_of(view: ConversationView, viewers: tuple[Viewer, ...] = ()) -> dict[str, object]:
    """What a card's face shows: words, and the classes they are drawn with. Values only: the browser puts
    them in text and attributes, never parses them as markup. How long ago the conversation started is worded
    by the browser (`handoffRelative`) from `started_at`, so one face serves every page at any moment."""
    return {
        "status": STATUS_WORDS[view.status],
        "status_class": f"hf-status-badge {badge_classes(STATUS_COLORS[view.status])}",
        "agent": view.agent_name or "",
        "agent_class": f"hf-agent {badge_classes('primary', outline=True)}",
        "flags": [
            {
                "kind": flag.kind,
                "word": FLAG_WORDS[flag.kind],
                "class": badge_classes(FLAG_COLORS[flag.kind]),
                "title": flag_explanation(flag),  # on hover
            }
            for flag in view.open_flags
        ],
        "where": customer_and_location(view),
        "question": view.opening_question or "(no question yet)",
        "started_at": iso_utc(view.started_at),
        "waiting_since": iso_utc(since) if (since := view.waiting_since) else "",
        # Every agent with it open: each page leaves its own agent out (card_face.js), so one face serves all.
        "viewers": [
            {"id": viewer.id, "name": viewer.name, "initials": initials(viewer.name)} for viewer in viewers
        ],
    }


class Faces:
    """Each card's face as the browser receives it (JSON), made once per snapshot of the conversation and
    shared by every open page: 25 pages showing a changed card used to build and compare 25 faces, and NiceGUI
    wrapped each nested dict in its observable collections (a quarter of the server's work per page for a card
    entering the list). One per process (Live); an ended conversation's face is forgotten. `viewers` says who
    has a conversation open (presence), which the face shows too."""

    def __init__(self, viewers: Callable[[str], tuple[Viewer, ...]] = lambda _id: ()) -> None:
        self._viewers = viewers
        self._known: dict[str, tuple[ConversationView, tuple[Viewer, ...], str]] = {}

    def of(self, view: ConversationView) -> str:
        known = self._known.get(view.id)
        viewers = self._viewers(view.id)
        if known is not None and known[0] is view and known[1] == viewers:
            return known[2]
        face = json.dumps(face_of(view, viewers), ensure_ascii=False, separators=(",", ":"))
        if view.active:
            self._known[view.id] = (view, viewers, face)
        return face

    def forget(self, conversation_id: str) -> None:
        self._known.pop(conversation_id, None)

    def clear(self) -> None:
        self._known.clear()


class CardFace(ui.element, component="components/card_face.js"):
    """Everything on a card but its message count, drawn by one Vue component from one prop (card_face.js).

    A card used to be a QCard with ten NiceGUI elements in it; it is now four (card, face, count cell, count).
    Each element costs the server its bookkeeping and the browser NiceGUI's generic render, and a page opens
    with 32 cards: /handoff with 10,000 live conversations, ready median 510 -> 454 and 499 -> 430 ms (two
    runs, 3 interleaved rounds of 10 pages each); Vue's mount of the page 204 -> 89 ms in one trace; server
    memory per page 1.5-1.8 -> 0.94 MB."""

    def show(self, face: str) -> None:
        if face != self.props.get("face"):
            self.props["face"] = face
            self.update()

    def _displayed_contents(self, *, only_visible: bool) -> list[object]:
        """The words the face shows, for NiceGUI's `user.should_see` and `user.find`."""
        face = json.loads(self.props.get("face") or "{}")
        words = [face.get(key) for key in ("status", "agent", "where", "question")]
        started = relative_time(datetime.fromisoformat(face["started_at"])) if "started_at" in face else None
        return [*words, started, *(flag["word"] for flag in face.get("flags") or [])]


class ConversationCard(Cell):
    """A card is its own Vue component (a Cell) holding its face and its message count, itself in a Cell: a
    new message re-renders only the count. (The count straight in the card, re-rendering the card's two
    children, took 2-4 ms more to reach 25 pages: p50 21.8-25.4 ms against 19.2-23.3 in 3 interleaved
    rounds.)"""

    def __init__(self, view: ConversationView, faces: Faces, on_open: Callable[[str], None]) -> None:
        super().__init__("article")  # one self-contained item of the service's feed, for assistive technology
        self.view = view
        self._faces = faces
        self.classes("q-card nicegui-card hf-card q-pa-sm gap-1 w-full")  # what ui.card draws
        self.props["data-testid"] = "conversation-card"
        self.on("click", lambda: on_open(self.view.id))
        with self:  # one grid (console.css): the face's parts and the count are its cells
            self._face = CardFace()
            with Cell().classes("hf-meta"):  # changes with every message: re-rendered alone
                self._meta = ui.label()
        self.pushed = (self.id, self._face.id, self._meta.id)  # what a board push changes (board_push.py)
        self.reuse(view)

    def reuse(self, view: ConversationView) -> None:
        """Show another conversation on this card: a card leaving a service's list becomes the card entering
        it (ServiceSection.sync), an update of four elements instead of deleting four and creating four.
        Creating them was most of the server's work for such a message: 4.2 ms per open page (py-spy, 25
        pages)."""
        self.mark(f"card-{view.id}")
        self.show(view, force=True)

    def show(self, view: ConversationView, *, force: bool = False) -> None:
        """Bring the card up to date with `view`; only what changed is sent to the browser."""
        old, self.view = self.view, view
        if force or (old.status, old.needs_attention) != (view.status, view.needs_attention):
            self.props.update(  # one change, not one per key
                {
                    "data-conversation-id": view.id,
                    "data-status": view.status,
                    "data-attention": str(view.needs_attention).lower(),
                }
            )
            self.classes(add="hf-attention") if view.needs_attention else self.classes(remove="hf-attention")
        self._face.show(self._faces.of(view))
        self._meta.set_text(meta_text(view))
