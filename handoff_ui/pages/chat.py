"""/chat/<slug>: the customer's chat page. No login; rate-limited per address; every message shown as text.

The conversation is kept in the browser's session, so a reload brings the customer back into it. AI,
human and system messages arrive live, and "An agent is typing..." while the agent who took over types.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Request
from nicegui import app, ui

from handoff.core import Core
from handoff.errors import HandoffError, NotFound
from handoff.events import AgentTyping, MessageAdded, ServiceModeChanged
from handoff.views import MessageView
from handoff_ui.components.submit import Typed, on_submit
from handoff_ui.live import Live
from handoff_ui.transcript import Transcript
from handoff_ui.words import TYPING

TOO_FAST = "You are sending messages very quickly. Please wait a moment and try again."
ROLE_NAMES = {"user": "You", "ai": "Assistant", "system": ""}
# How long "An agent is typing..." stays after the last sign of typing (the console tells every 2-3 s).
TYPING_SHOWN_SECONDS = 6.0


class ChatScreen:
    def __init__(self, core: Core, live: Live, slug: str, address: str | None) -> None:
        self._core = core
        self._live = live
        self._slug = slug
        self._address = address or "unknown"
        self._conversation: dict[str, str] | None = None
        self._hint: ui.label | None = None
        self._typing_ends: asyncio.TimerHandle | None = None

    def _stored(self) -> dict[str, Any]:
        chats: dict[str, Any] = app.storage.user.setdefault("chats", {})
        return chats

    async def _resumable(self, stored: dict[str, str]) -> bool:
        """The stored conversation still opens with its token and has not ended."""
        if not await self._core.conversations.verify_token(stored["id"], stored["token"]):
            return False
        return (await self._core.conversations.get(stored["id"])).active

    async def build(self) -> None:
        service = await self._core.services.get(self._slug)
        history: list[MessageView] = []
        stored = self._stored().get(self._slug)
        if stored and await self._resumable(stored):
            self._conversation = stored
            history = await self._core.conversations.messages(stored["id"])
        ui.query("body").classes("bg-grey-2")
        with ui.column().classes("hf-chat w-full max-w-2xl mx-auto no-wrap q-pa-sm gap-2"):
            with ui.row().classes("w-full items-center"):
                ui.icon("support_agent", size="md").classes("text-primary")
                ui.label(service.name).classes("text-h6")
            self._scroll = ui.scroll_area().classes("w-full grow bg-white rounded-borders")
            with self._scroll:
                self._transcript = Transcript(caption=_caption, below=self._rating_buttons)
                if not history:
                    self._hint = ui.label("Ask us anything: our assistant answers right away.")
                    self._hint.classes("text-grey-7 q-pa-sm")
            self._typing = (
                ui.label(TYPING).classes("hf-typing q-px-sm").props("data-testid=typing aria-live=polite")
            )
            self._typing.set_visibility(False)
            with ui.row().classes("w-full items-end no-wrap gap-2"):
                self._input = ui.input(placeholder="Type your message…").classes("grow")
                self._input.props("outlined dense maxlength=4000 data-testid=chat-input autofocus")
                send = ui.button("Send").props("no-caps color=primary")
                on_submit(
                    [(send, "click"), (self._input, "keydown.enter")], {"text": self._input}, self._send
                )
            self._human = ui.button("Talk to a human", on_click=self._ask_for_human)
            self._human.props("no-caps outline data-testid=talk-to-human").classes("self-end")
            self._human.set_visibility(service.mode != "ai_only")
        for message in history:
            self._transcript.append(message)
        self._live.message_added.subscribe(self._on_message)
        self._live.mode_changed.subscribe(self._on_mode)
        self._live.agent_typing.subscribe(self._on_typing)
        ui.context.client.on_delete(self._stop_typing)

    def _on_message(self, event: MessageAdded) -> None:
        if self._conversation and event.message.conversation_id == self._conversation["id"]:
            self._append(event.message)
            if event.message.role == "human":
                self._stop_typing()

    def _on_typing(self, event: AgentTyping) -> None:
        if not self._conversation or event.conversation_id != self._conversation["id"]:
            return
        self._typing.set_visibility(True)
        self._stop_timer()
        self._typing_ends = asyncio.get_running_loop().call_later(TYPING_SHOWN_SECONDS, self._stop_typing)

    def _stop_timer(self) -> None:
        if self._typing_ends is not None:
            self._typing_ends.cancel()
            self._typing_ends = None

    def _stop_typing(self) -> None:
        self._stop_timer()
        if not self._typing.is_deleted:
            self._typing.set_visibility(False)

    def _on_mode(self, event: ServiceModeChanged) -> None:
        if event.service.slug == self._slug:
            self._human.set_visibility(event.service.mode != "ai_only")

    def _append(self, message: MessageView) -> None:
        if self._transcript.append(message):
            self._scroll.scroll_to(percent=1.0)

    def _rating_buttons(self, message: MessageView) -> None:
        if message.role != "ai":
            return
        with ui.row().classes("gap-1 q-mt-xs"):
            up = ui.button(icon="thumb_up").props(
                "flat round dense size=sm data-testid=rate-up aria-label=Helpful"
            )
            down = ui.button(icon="thumb_down").props(
                "flat round dense size=sm data-testid=rate-down aria-label='Not helpful'"
            )

        async def rate(value: str) -> None:
            if self._conversation is None:
                return
            try:
                await self._core.conversations.rate(
                    conversation_id=self._conversation["id"], message_id=message.id, value=value
                )
            except HandoffError as error:
                ui.notify(str(error), type="warning")
                return
            up.props(f"color={'positive' if value == 'up' else 'grey'}")
            down.props(f"color={'negative' if value == 'down' else 'grey'}")

        up.on_click(lambda: rate("up"))
        down.on_click(lambda: rate("down"))
        if message.rating:
            up.props(f"color={'positive' if message.rating == 'up' else 'grey'}")
            down.props(f"color={'negative' if message.rating == 'down' else 'grey'}")

    async def _send(self, typed: Typed) -> None:
        text = typed["text"].strip()
        if not text:
            return
        if not self._core.chat_limiter.allow(self._address):
            ui.notify(TOO_FAST, type="warning")
            return
        # The box empties at once, before the message is stored and shown: what the customer starts typing
        # next is never wiped by this send finishing (it was, when the message showed before the box cleared).
        self._input.value = ""
        try:
            if self._conversation is None:
                location = self._core.locator.locate(self._address)
                started = await self._core.conversations.start(
                    service_slug=self._slug, text=text, location=location
                )
                self._conversation = {"id": started.conversation.id, "token": started.token}
                self._stored()[self._slug] = self._conversation
                app.storage.user["chats"] = self._stored()
                if started.first_message:
                    self._append(started.first_message)
            else:
                await self._core.conversations.add_customer_message(
                    conversation_id=self._conversation["id"], text=text
                )
        except HandoffError as error:
            if not self._input.value:  # refused: the text comes back, unless the box holds something new
                self._input.value = text
            ui.notify(str(error), type="warning")
            return
        if self._hint is not None:
            self._hint.delete()
            self._hint = None

    async def _ask_for_human(self) -> None:
        if self._conversation is None:
            ui.notify("Write your question first, then a person can join you.")
            return
        try:
            await self._core.conversations.request_human(conversation_id=self._conversation["id"])
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        ui.notify("A member of our team has been asked to join.", type="positive")


def register(core: Core, live: Live) -> None:
    @ui.page("/chat/{slug}", title="Chat")
    async def chat(slug: str, request: Request) -> None:
        peer = request.client.host if request.client else None
        address = core.locator.client_address(peer, request.headers.get("x-forwarded-for"))
        screen = ChatScreen(core, live, slug, address)
        try:
            await screen.build()
        except NotFound:
            ui.label("This chat does not exist.").classes("text-h6 absolute-center")


def _caption(message: MessageView) -> str:
    return (message.author or "") if message.role == "human" else ROLE_NAMES[message.role]
