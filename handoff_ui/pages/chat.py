"""/chat/<slug>: the customer's chat page. No login; rate-limited per address; every message shown as text.

The conversation is kept in the browser's session, so a reload brings the customer back into it. AI,
human and system messages arrive live, and "An agent is typing..." while the agent who took over types.

`/chat/<slug>?embed=1&host=<origin>` is the same chat inside the chat widget's frame on another site
(`/widget.js`, handoff/widget.py). A cross-site frame gets no cookies and often no storage, so there the
conversation is the host page's to keep: the widget hands its id and token in (`handoff:hello`), the frame
hands a new one out (`handoff:conversation`), and tells of each answer (`handoff:message`, the bubble's
unread count), all by `postMessage` with the host's origin only (static/embed.js). Only the service's allowed
origins may frame it (security_headers.py) or receive what it posts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from html import escape
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse
from nicegui import app, ui
from nicegui.events import GenericEventArguments

from handoff.core import Core
from handoff.errors import HandoffError, NotFound
from handoff.events import AgentTyping, MessageAdded, ServiceModeChanged
from handoff.views import MessageView
from handoff.widget import DEFAULT_GREETING, Embedding, Identity
from handoff_ui import STATIC
from handoff_ui.components.submit import Typed, on_submit
from handoff_ui.live import Live
from handoff_ui.transcript import Transcript
from handoff_ui.words import TYPING

TOO_FAST = "You are sending messages very quickly. Please wait a moment and try again."
NOT_HERE = "This chat can't be shown on this site."
ROLE_NAMES = {"user": "You", "ai": "Assistant", "system": ""}
# How long "An agent is typing..." stays after the last sign of typing (the console tells every 2-3 s).
TYPING_SHOWN_SECONDS = 6.0


class ChatScreen:
    """The chat, on its own page or (`embedding`) inside the chat widget's frame on the host page `host`."""

    def __init__(
        self,
        core: Core,
        live: Live,
        slug: str,
        address: str | None,
        embedding: Embedding | None = None,
        host: str | None = None,
    ) -> None:
        self._core = core
        self._live = live
        self._slug = slug
        self._address = address or "unknown"
        self._embedding = embedding
        self._host = host
        self._conversation: dict[str, str] | None = None
        self._identity = Identity()
        self._hint: ui.label | None = None
        self._typing_ends: asyncio.TimerHandle | None = None

    def _stored(self) -> dict[str, Any]:
        if self._embedding is not None:  # the host page keeps it (handoff:conversation), not this frame
            return {}
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
        embedded = self._embedding is not None
        ui.query("body").classes("bg-white hf-embedded" if embedded else "bg-grey-2")
        with ui.column().classes("hf-chat w-full max-w-2xl mx-auto no-wrap q-pa-sm gap-2"):
            if not embedded:  # in the widget, its panel's own header names the service
                with ui.row().classes("w-full items-center"):
                    ui.icon("support_agent", size="md").classes("text-primary")
                    ui.label(service.name).classes("text-h6")
            self._scroll = ui.scroll_area().classes("w-full grow bg-white rounded-borders")
            with self._scroll:
                self._transcript = Transcript(caption=_caption, below=self._rating_buttons)
                if not history:
                    greeting = self._embedding.greeting if self._embedding is not None else DEFAULT_GREETING
                    self._hint = ui.label(greeting).classes("text-grey-7 q-pa-sm")
                    self._hint.props("data-testid=chat-greeting")
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
        self._live.index_reloaded.subscribe(self._catch_up)
        client = self._client = ui.context.client
        client.on_delete(self._stop_typing)
        if embedded:
            ui.on("handoff_hello", self._on_hello)
            ui.on("handoff_identify", self._on_identify)
            client.on_connect(lambda: self._post({"type": "handoff:ready"}))

    # -- inside the chat widget ----------------------------------------------------------------------------

    def _post(self, message: dict[str, Any]) -> None:
        """To the host page (static/embed.js posts it to the host's origin only)."""
        if self._embedding is not None and not self._client.is_deleted:
            self._client.run_javascript(f"window.handoffEmbed.post({json.dumps(message)})")

    async def _on_hello(self, event: GenericEventArguments) -> None:
        """The widget's first words: the conversation the host page keeps, and who the customer is."""
        args = event.args if isinstance(event.args, dict) else {}
        given = args.get("conversation")
        if self._conversation is None and isinstance(given, dict):
            stored = {k: given.get(k) for k in ("id", "token")}
            if all(isinstance(v, str) and 0 < len(v) <= 100 for v in stored.values()):
                if await self._resumable(stored):  # type: ignore[arg-type]
                    await self._resume(stored)  # type: ignore[arg-type]
                else:
                    self._post({"type": "handoff:conversation", "conversation": None})  # ended or unknown
        identity = args.get("identity")
        if isinstance(identity, dict):
            await self._identify(identity, args.get("request"))

    async def _resume(self, stored: dict[str, str]) -> None:
        self._conversation = stored
        history = await self._core.conversations.messages(stored["id"])
        if history and self._hint is not None:
            self._hint.delete()
            self._hint = None
        for message in history:
            self._transcript.append(message)
        self._scroll.scroll_to(percent=1.0)

    async def _on_identify(self, event: GenericEventArguments) -> None:
        args = event.args if isinstance(event.args, dict) else {}
        identity = args.get("identity")
        await self._identify(identity if isinstance(identity, dict) else {}, args.get("request"))

    async def _identify(self, given: dict[str, Any], request: object) -> None:
        """`Handoff.identify`: checked (signed, where the service requires it), kept for the conversation
        this customer starts, and put on the one under way. The host page hears whether it was accepted."""
        answer: dict[str, Any] = {"type": "handoff:identified", "request": request, "ok": True}
        try:
            self._identity = await self._core.widget.identity(
                self._slug,
                name=given.get("name"),
                external_id=given.get("external_id"),
                signature=given.get("signature"),
            )
            if self._conversation is not None and (self._identity.name or self._identity.external_id):
                await self._core.conversations.identify(
                    conversation_id=self._conversation["id"],
                    name=self._identity.name,
                    external_id=self._identity.external_id,
                )
        except HandoffError as error:
            answer.update(ok=False, error=str(error))
        self._post(answer)

    # -- live --------------------------------------------------------------------------------------------

    def _on_message(self, event: MessageAdded) -> None:
        if self._conversation and event.message.conversation_id == self._conversation["id"]:
            self._append(event.message)
            if event.message.role == "human":
                self._stop_typing()
            if event.message.role != "user":  # the bubble counts what came while the panel was closed
                self._post({"type": "handoff:message", "role": event.message.role})

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

    async def _catch_up(self) -> None:
        """The console read everything again (events may have been missed: the link between processes
        broke): show what this page missed, each message once, in its place."""
        if self._conversation is None:
            return
        with contextlib.suppress(NotFound):
            for message in await self._core.conversations.messages(self._conversation["id"]):
                self._append(message)

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
        if not await self._core.chat_limiter.take(self._address):
            ui.notify(TOO_FAST, type="warning")
            return
        # The box empties at once, before the message is stored and shown: what the customer starts typing
        # next is never wiped by this send finishing (it was, when the message showed before the box cleared).
        self._input.value = ""
        try:
            if self._conversation is None:
                location = self._core.locator.locate(self._address)
                started = await self._core.conversations.start(
                    service_slug=self._slug,
                    text=text,
                    location=location,
                    customer_name=self._identity.name,
                    customer_external_id=self._identity.external_id,
                )
                self._conversation = {"id": started.conversation.id, "token": started.token}
                if self._embedding is not None:
                    self._post({"type": "handoff:conversation", "conversation": self._conversation})
                else:
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
    async def chat(slug: str, request: Request, embed: str = "", host: str = "") -> None:
        peer = request.client.host if request.client else None
        address = core.locator.client_address(peer, request.headers.get("x-forwarded-for"))
        try:
            embedding = None
            if embed == "1":
                embedding = await core.widget.embedding(slug)
                if not embedding.allows(host):
                    ui.label(NOT_HERE).classes("text-h6 absolute-center").props("data-testid=not-allowed")
                    return
                # Before NiceGUI's own script, which reads sessionStorage as it loads (embed.js).
                ui.add_head_html(
                    f'<script src="/handoff-static/embed.js" data-host="{escape(host.rstrip("/").lower())}">'
                    "</script>"
                )
            await ChatScreen(core, live, slug, address, embedding, host).build()
        except NotFound:
            ui.label("This chat does not exist.").classes("text-h6 absolute-center")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        """The chat widget for any website (static/widget.js): one script tag."""
        return FileResponse(
            STATIC / "widget.js",
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
        )


def _caption(message: MessageView) -> str:
    return (message.author or "") if message.role == "human" else ROLE_NAMES[message.role]
