"""The conversation panel: the transcript and the agents' notes; Take Over, reply (canned replies, a
suggested reply), Resume AI, Release; Dismiss flags, Not needed; who else has it open.

It never redraws itself from its own click: every change comes back through the events, as it does for
every other agent's screen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable

from nicegui import background_tasks, ui

from handoff.canned_replies import fill
from handoff.core import Core
from handoff.errors import HandoffError, NotFound
from handoff.events import (
    CannedRepliesChanged,
    ConversationUpdated,
    MessageAdded,
    NoteAdded,
    ServiceModeChanged,
    ViewersChanged,
)
from handoff.views import AgentRef, CannedReplyView, ConversationView, MessageView
from handoff_ui.cards import badge, customer_and_location, flag_explanation, initials
from handoff_ui.live import Live
from handoff_ui.transcript import Transcript
from handoff_ui.words import (
    ADD_NOTE,
    DISMISS,
    FLAG_COLORS,
    FLAG_WORDS,
    MODE_WORDS,
    NOT_NEEDED,
    RELEASE,
    RESUME_AI,
    ROLE_WORDS,
    SEND,
    STATUS_COLORS,
    STATUS_WORDS,
    TAKE_OVER,
    USE_SUGGESTION,
)

# Enter on a lone "/shortcut" picks the first canned reply that matches instead of starting a new line.
PICK_ON_ENTER = (
    "(e) => { if (!e.shiftKey && /^\\/\\S*$/.test(e.target.value)) { e.preventDefault(); emit(); } }"
)
TYPING_THROTTLE_SECONDS = 2.0  # the browser tells the server at most this often that the agent types


class ConversationPanel:
    def __init__(self, core: Core, live: Live, agent: AgentRef, drawer: ui.right_drawer) -> None:
        self._core = core
        self._live = live
        self._agent = agent
        self._drawer = drawer
        self._tab = ui.context.client.id  # presence: this tab has the open conversation in view
        self.view: ConversationView | None = None
        self._actions_state: tuple[object, ...] | None = None
        self._canned: list[CannedReplyView] = []
        self._reply: ui.textarea | None = None
        self._suggested_for: str | None = None  # the conversation a suggestion was asked for since Take Over
        with (
            drawer,
            ui.column().classes("w-full h-full no-wrap gap-2").props("data-testid=conversation-panel"),
        ):
            with ui.row().classes("w-full items-center no-wrap"):
                self._title = ui.label().classes("text-subtitle1 text-weight-medium ellipsis")
                ui.space()
                ui.button(icon="close", on_click=self.close).props("flat round dense aria-label=Close")
            self._summary = ui.row().classes("w-full items-center gap-1")
            self._viewers = ui.row().classes("w-full items-center gap-1").props("data-testid=viewers")
            self._flags = ui.column().classes("w-full gap-1")
            self._scroll = ui.scroll_area().classes("w-full grow border rounded-borders bg-grey-1")
            with self._scroll:
                self._transcript = Transcript(caption=_caption, below=_rating)
            self._actions = ui.column().classes("w-full gap-2")
            self._note_row()
        drawer.on_value_change(lambda event: None if event.value else self._closed())

    @property
    def conversation_id(self) -> str | None:
        return self.view.id if self.view else None

    async def open(self, conversation_id: str) -> None:
        try:
            view = await self._core.conversations.get(conversation_id)
            messages = await self._core.conversations.messages(conversation_id)
            notes = await self._core.notes.of(conversation_id)
            canned = await self._core.canned_replies.of(view.service_slug)
        except NotFound:
            ui.notify("That conversation no longer exists", type="warning")
            return
        self.view = view
        self._canned = canned
        self._actions_state = None
        self._suggested_for = None
        self._transcript.clear()
        self._transcript.load(messages, notes)
        for message in await self._core.conversations.messages(
            conversation_id, after=self._transcript.last_id
        ):
            self._transcript.append(message)  # what arrived while the transcript loaded
        for note in await self._core.notes.of(conversation_id, after=self._transcript.last_note_id):
            self._transcript.add_note(note)
        self._draw(view)
        self._draw_viewers()
        self._drawer.show()
        self._scroll.scroll_to(percent=1.0)
        self._core.presence.view(self._tab, conversation_id)
        self._in_address(conversation_id)

    def close(self) -> None:
        self._drawer.hide()
        self._closed()

    def _closed(self) -> None:
        self.view = None
        self._core.presence.view(self._tab, None)
        self._in_address(None)

    def _in_address(self, conversation_id: str | None) -> None:
        """The page's address names the open conversation (`?conversation=`, which the page opens when it is
        built), so a reload, here or on another process after this one died, opens the same panel."""
        change = (
            f"u.searchParams.set('conversation', {json.dumps(conversation_id)});"
            if conversation_id
            else "u.searchParams.delete('conversation');"
        )
        client = self._drawer.client
        if not client.is_deleted:
            client.run_javascript(
                f"const u = new URL(location.href); {change} history.replaceState(history.state, '', u);"
            )

    def on_note(self, event: NoteAdded) -> None:
        if event.note.conversation_id == self.conversation_id and self._transcript.add_note(event.note):
            self._scroll.scroll_to(percent=1.0)

    def on_viewers(self, event: ViewersChanged) -> None:
        if event.conversation_id == self.conversation_id:
            self._draw_viewers()

    async def on_canned_replies(self, event: CannedRepliesChanged) -> None:
        if self.view is not None and self.view.service_slug == event.service_slug:
            self._canned = await self._core.canned_replies.of(event.service_slug)

    def _draw_viewers(self) -> None:
        """Who else has this conversation open (not this agent: they know)."""
        others = (
            []
            if self.view is None
            else [viewer for viewer in self._live.viewers(self.view.id) if viewer.id != self._agent.id]
        )
        self._viewers.clear()
        self._viewers.set_visibility(bool(others))
        self._viewers.props["title"] = "Also viewing: " + ", ".join(viewer.name for viewer in others)
        with self._viewers:
            ui.icon("visibility").classes("text-grey-7")
            for viewer in others:
                ui.label(initials(viewer.name)).classes("hf-avatar").props["title"] = viewer.name
            ui.label("also viewing: " + ", ".join(viewer.name for viewer in others)).classes(
                "text-caption text-grey-8"
            )

    def _note_row(self) -> None:
        """An internal note, for the agents only: the customer never sees it."""
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            note = ui.input(label="Note", placeholder="Only agents see notes").classes("grow")
            note.props("dense outlined maxlength=4000 data-testid=note-input")

            async def add() -> None:
                text = note.value or ""
                if self.view is None or not text.strip():
                    return
                try:
                    await self._core.notes.add(conversation_id=self.view.id, agent=self._agent, text=text)
                except HandoffError as error:
                    ui.notify(str(error), type="warning")
                    return
                note.value = ""

            note.on("keydown.enter", add)
            ui.button(ADD_NOTE, on_click=add).props("no-caps outline color=amber-9 data-testid=add-note")

    def on_message(self, event: MessageAdded) -> None:
        if event.message.conversation_id == self.conversation_id and self._transcript.append(event.message):
            self._scroll.scroll_to(percent=1.0)

    async def catch_up(self) -> None:
        """The console read everything again (events may have been missed): the open conversation's messages
        and notes it missed, each once, and its card as the index has it now."""
        conversation_id = self.conversation_id
        if conversation_id is None:
            return
        with contextlib.suppress(NotFound):
            for message in await self._core.conversations.messages(conversation_id):
                self._transcript.append(message)
            for note in await self._core.notes.of(conversation_id, after=self._transcript.last_note_id):
                self._transcript.add_note(note)
        current = self._live.index.get(conversation_id)
        if current is not None and conversation_id == self.conversation_id:
            self._draw(current)

    def on_mode(self, event: ServiceModeChanged) -> None:
        if self.view is not None and self.view.service_slug == event.service.slug:
            self._draw(dataclasses.replace(self.view, service_mode=event.service.mode))

    def on_card(self, event: ConversationUpdated) -> None:
        if event.after.id == self.conversation_id:
            self._draw(event.after)

    def _draw(self, view: ConversationView) -> None:
        self.view = view
        self._title.set_text(view.opening_question or "Conversation")
        self._summary.clear()
        with self._summary:
            badge(STATUS_WORDS[view.status], color=STATUS_COLORS[view.status])
            if view.agent_name:
                badge(view.agent_name, color="primary", outline=True)
            ui.label(
                f"{customer_and_location(view)} · {view.service_slug} · {MODE_WORDS[view.service_mode]}"
            ).classes("text-caption text-grey-8")
        self._flags.clear()
        with self._flags:
            for flag in view.open_flags:
                with ui.row().classes("w-full items-start no-wrap gap-2"):
                    badge(FLAG_WORDS[flag.kind], color=FLAG_COLORS[flag.kind])
                    with ui.column().classes("grow gap-1").style("min-width: 0"):  # wraps beside the badge
                        explanation = ui.label(flag_explanation(flag)).classes("text-caption")
                        if flag.rule:
                            explanation.props["title"] = flag.rule  # which rule fired, on hover
                        if flag.detected and view.active:
                            ui.button(NOT_NEEDED, on_click=self._not_needed(flag.id)).props(
                                "no-caps flat dense size=sm padding='0 4px' data-testid=not-needed"
                            ).style("align-self: flex-start").tooltip(
                                "Close this flag and record it as a false alarm of the detector"
                            )
        self._draw_actions(view)

    def _draw_actions(self, view: ConversationView) -> None:
        mine = view.claimed_by_id == self._agent.id
        state = (
            view.active,
            mine,
            view.claimed_by_name,
            view.status,
            view.service_mode,
            bool(view.open_flags),
        )
        if state == self._actions_state:
            return
        self._actions_state = state
        self._actions.clear()
        with self._actions:
            if not view.active:
                ui.label("This conversation has ended.").classes("text-grey-8")
                return
            if view.claimed_by_id is not None and not mine:
                with ui.element("div").classes("hf-banner w-full").props("data-testid=claim-banner"):
                    ui.label(f"{view.claimed_by_name} has taken over this conversation.")
            if mine:
                self._reply_box(view)
            with ui.row().classes("w-full gap-2"):
                if not mine:
                    take_over = ui.button(TAKE_OVER, on_click=self._act(self._take_over)).props("no-caps")
                    take_over.props("color=primary data-testid=take-over")
                    if view.claimed_by_id is not None or view.service_mode == "ai_only":
                        take_over.disable()
                if view.status == "paused" and view.claimed_by_id in (None, self._agent.id):
                    ui.button(RESUME_AI, on_click=self._act(self._resume)).props("no-caps outline")
                if mine:
                    ui.button(RELEASE, on_click=self._act(self._release)).props("no-caps outline")
                if view.open_flags:
                    ui.button(DISMISS, on_click=self._act(self._dismiss)).props("no-caps flat")
            if view.service_mode == "ai_only":
                ui.label("AI Only: agents cannot take over conversations of this service.").classes(
                    "text-caption text-grey-8"
                )

    def _reply_box(self, view: ConversationView) -> None:
        conversation_id = view.id
        suggestion = ui.column().classes("w-full gap-1 hf-suggestion").props("data-testid=suggested-reply")
        suggestion.set_visibility(False)
        reply = ui.textarea(placeholder="Type your reply… (/ for canned replies, Ctrl+Enter to send)")
        reply.classes("w-full").props("outlined autogrow data-testid=reply-input maxlength=4000")
        self._reply = reply
        picker = (
            ui.column().classes("w-full gap-0 hf-canned").props("data-testid=canned-replies role=listbox")
        )
        picker.set_visibility(False)

        def pick(canned: CannedReplyView) -> None:
            reply.value = fill(
                canned.text, customer_name=view.customer_name, agent_name=self._agent.display_name
            )
            reply.run_method("focus")

        def matches() -> list[CannedReplyView]:
            text = reply.value or ""
            if not text.startswith("/") or " " in text or "\n" in text:
                return []
            typed = text[1:].lower()
            return [c for c in self._canned if c.shortcut.startswith(typed)]

        def show_picker() -> None:
            found = matches()
            picker.clear()
            picker.set_visibility(bool(found) or (reply.value or "").startswith("/"))
            with picker:
                if not found:
                    ui.label("No canned reply starts with that.").classes("text-caption text-grey-8")
                for canned in found[:8]:
                    item = (
                        ui.button(on_click=lambda c=canned: pick(c))
                        .props("flat no-caps align=left dense data-testid=canned-reply role=option")
                        .classes("w-full")
                    )
                    item.props["data-shortcut"] = canned.shortcut
                    with item, ui.column().classes("gap-0 items-start"):
                        ui.label(f"/{canned.shortcut}").classes("text-weight-medium")
                        ui.label(canned.text[:90]).classes("text-caption text-grey-8 ellipsis")

        async def pick_first() -> None:
            found = matches()
            if found:
                pick(found[0])

        reply.on_value_change(lambda _event: show_picker())
        reply.on(
            "keydown.enter",
            pick_first,
            js_handler=PICK_ON_ENTER,
        )

        async def typing() -> None:
            if not (reply.value or "").startswith("/"):
                await self._core.handoffs.typing(conversation_id=conversation_id, agent=self._agent)

        reply.on(
            "keydown", typing, throttle=TYPING_THROTTLE_SECONDS, leading_events=True, trailing_events=False
        )
        if self._suggested_for != conversation_id:
            self._suggested_for = conversation_id
            background_tasks.create(self._suggest(conversation_id, suggestion), name="suggest a reply")

        async def send() -> None:
            text = reply.value or ""
            if not text.strip():
                return
            try:
                await self._core.handoffs.send(conversation_id=conversation_id, agent=self._agent, text=text)
            except HandoffError as error:
                ui.notify(str(error), type="warning")
                return
            reply.value = ""

        reply.on("keydown.ctrl.enter", send)
        reply.on("keydown.meta.enter", send)
        ui.button(SEND, on_click=send).props("no-caps color=positive data-testid=send")

    async def _suggest(self, conversation_id: str, box: ui.column) -> None:
        """The AI's best answer as a draft, above the reply box; "Use suggestion" puts it there to edit.
        Nothing reaches the customer unless the agent sends it."""
        try:
            text = await self._core.responders.suggest(conversation_id)
        except (HandoffError, OSError):
            return
        if not text or self.conversation_id != conversation_id or box.is_deleted:
            return
        box.clear()
        with box:
            ui.label("Suggested reply").classes("text-caption text-grey-8")
            ui.label(text).classes("text-body2 hf-suggestion-text").props("data-testid=suggestion-text")

            def use() -> None:
                if self._reply is not None and not self._reply.is_deleted:
                    self._reply.value = text
                    self._reply.run_method("focus")

            ui.button(USE_SUGGESTION, on_click=use).props("no-caps flat dense data-testid=use-suggestion")
        box.set_visibility(True)

    def _act(self, action: Callable[[str], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if self.view is None:
                return
            try:
                await action(self.view.id)
            except HandoffError as error:
                ui.notify(str(error), type="warning")

        return run

    async def _take_over(self, conversation_id: str) -> object:
        return await self._core.handoffs.take_over(conversation_id=conversation_id, agent=self._agent)

    async def _resume(self, conversation_id: str) -> object:
        return await self._core.handoffs.resume_ai(conversation_id=conversation_id, agent=self._agent)

    async def _release(self, conversation_id: str) -> object:
        return await self._core.handoffs.release(conversation_id=conversation_id, agent=self._agent)

    def _not_needed(self, flag_id: int) -> Callable[[], Awaitable[None]]:
        async def mark(conversation_id: str) -> object:
            return await self._core.handoffs.mark_not_needed(
                conversation_id=conversation_id, flag_id=flag_id, agent=self._agent
            )

        return self._act(mark)

    async def _dismiss(self, conversation_id: str) -> object:
        return await self._core.handoffs.dismiss_flags(conversation_id=conversation_id, agent=self._agent)


def _caption(message: MessageView) -> str:
    return f"{message.author or ROLE_WORDS[message.role]} · {message.created_at:%H:%M}"


def _rating(message: MessageView) -> None:
    if message.rating:
        ui.label("Rated 👍" if message.rating == "up" else "Rated 👎").classes("hf-meta")
