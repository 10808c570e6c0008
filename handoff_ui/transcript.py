"""A transcript: messages in order, each shown once, coloured by role as the help page says."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from handoff.views import MessageView


class Transcript:
    def __init__(
        self, *, caption: Callable[[MessageView], str], below: Callable[[MessageView], None] | None = None
    ) -> None:
        """`caption` names the sender above the text; `below` may add controls under a message."""
        self.element = ui.element("div").classes("hf-transcript w-full q-pa-sm")
        self._caption = caption
        self._below = below
        self.last_id = 0

    def clear(self) -> None:
        self.element.clear()
        self.last_id = 0

    def append(self, message: MessageView) -> bool:
        """Show the message unless it is already shown; True when it was added."""
        if message.id <= self.last_id:
            return False
        self.last_id = message.id
        with self.element:
            bubble = ui.element("div").classes(f"hf-msg {message.role}")
            bubble.props(f"data-testid=message data-role={message.role} data-message-id={message.id}")
            with bubble:
                caption = self._caption(message)
                if caption:
                    ui.label(caption).classes("hf-meta")
                ui.label(message.text)  # text, never HTML
                if self._below is not None:
                    self._below(message)
        return True
