"""A transcript: messages in order, each shown once, coloured by role as the help page says; in the console
also the agents' internal notes, in their own style, where they were written."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from nicegui import ui

from handoff.views import MessageView, NoteView


class Transcript:
    def __init__(
        self, *, caption: Callable[[MessageView], str], below: Callable[[MessageView], None] | None = None
    ) -> None:
        """`caption` names the sender above the text; `below` may add controls under a message."""
        self.element = ui.element("div").classes("hf-transcript w-full q-pa-sm")
        self._caption = caption
        self._below = below
        self.last_note_id = 0
        self._ids: list[int] = []  # the messages shown, in id order
        self._bubbles: dict[int, ui.element] = {}

    @property
    def last_id(self) -> int:
        """The newest message shown (0: none)."""
        return self._ids[-1] if self._ids else 0

    def clear(self) -> None:
        self.element.clear()
        self.last_note_id = 0
        self._ids.clear()
        self._bubbles.clear()

    def load(self, messages: list[MessageView], notes: list[NoteView]) -> None:
        """Messages (in their order) with the notes between them where they were written."""
        waiting = sorted(notes, key=lambda note: note.id)
        for message in messages:
            while waiting and waiting[0].created_at < message.created_at:
                self.add_note(waiting.pop(0))
            self.append(message)
        for note in waiting:
            self.add_note(note)

    def add_note(self, note: NoteView) -> bool:
        """Show an internal note unless it is already shown; True when it was added."""
        if note.id <= self.last_note_id:
            return False
        self.last_note_id = note.id
        with self.element:
            bubble = ui.element("div").classes("hf-msg note")
            bubble.props(f"data-testid=message data-role=note data-note-id={note.id}")
            with bubble:
                ui.label(f"Note · {note.author} · {note.created_at:%H:%M} · agents only").classes("hf-meta")
                ui.label(note.text).classes("hf-text")  # text, never HTML
        return True

    def append(self, message: MessageView) -> bool:
        """Show the message unless it is already shown; True when it was added. One that arrives after a newer
        one (with several processes, another's event can come late) takes its place by id."""
        if message.id in self._bubbles:
            return False
        with self.element:
            bubble = ui.element("div").classes(f"hf-msg {message.role}")
            bubble.props(f"data-testid=message data-role={message.role} data-message-id={message.id}")
            with bubble:
                caption = self._caption(message)
                if caption:
                    ui.label(caption).classes("hf-meta")
                ui.label(message.text).classes("hf-text")  # text, never HTML
                if self._below is not None:
                    self._below(message)
        place = bisect.bisect(self._ids, message.id)
        if place < len(self._ids):  # late: a newer message is shown already
            following = self._bubbles[self._ids[place]]
            bubble.move(target_index=self.element.default_slot.children.index(following))
        self._ids.insert(place, message.id)
        self._bubbles[message.id] = bubble
        return True
