"""The conversation panel: the transcript; Take Over, reply, Resume AI, Release; Dismiss flags, Not needed.

It never redraws itself from its own click: every change comes back through the events, as it does for
every other agent's screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError, NotFound
from handoff.events import ConversationUpdated, MessageAdded, ServiceModeChanged
from handoff.views import AgentRef, ConversationView, MessageView
from handoff_ui.cards import badge, flag_explanation, location
from handoff_ui.transcript import Transcript
from handoff_ui.words import (
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
)


class ConversationPanel:
    def __init__(self, core: Core, agent: AgentRef, drawer: ui.right_drawer) -> None:
        self._core = core
        self._agent = agent
        self._drawer = drawer
        self.view: ConversationView | None = None
        self._actions_state: tuple[object, ...] | None = None
        with (
            drawer,
            ui.column().classes("w-full h-full no-wrap gap-2").props("data-testid=conversation-panel"),
        ):
            with ui.row().classes("w-full items-center no-wrap"):
                self._title = ui.label().classes("text-subtitle1 text-weight-medium ellipsis")
                ui.space()
                ui.button(icon="close", on_click=self.close).props("flat round dense aria-label=Close")
            self._summary = ui.row().classes("w-full items-center gap-1")
            self._flags = ui.column().classes("w-full gap-1")
            self._scroll = ui.scroll_area().classes("w-full grow border rounded-borders bg-grey-1")
            with self._scroll:
                self._transcript = Transcript(caption=_caption, below=_rating)
            self._actions = ui.column().classes("w-full gap-2")

    @property
    def conversation_id(self) -> str | None:
        return self.view.id if self.view else None

    async def open(self, conversation_id: str) -> None:
        try:
            view = await self._core.conversations.get(conversation_id)
            messages = await self._core.conversations.messages(conversation_id)
        except NotFound:
            ui.notify("That conversation no longer exists", type="warning")
            return
        self.view = view
        self._actions_state = None
        self._transcript.clear()
        for message in messages:
            self._transcript.append(message)
        for message in await self._core.conversations.messages(
            conversation_id, after=self._transcript.last_id
        ):
            self._transcript.append(message)  # what arrived while the transcript loaded
        self._draw(view)
        self._drawer.show()
        self._scroll.scroll_to(percent=1.0)

    def close(self) -> None:
        self.view = None
        self._drawer.hide()

    def on_message(self, event: MessageAdded) -> None:
        if event.message.conversation_id == self.conversation_id and self._transcript.append(event.message):
            self._scroll.scroll_to(percent=1.0)

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
            ui.label(f"{location(view)} · {view.service_slug} · {MODE_WORDS[view.service_mode]}").classes(
                "text-caption text-grey-8"
            )
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
                self._reply_box(view.id)
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

    def _reply_box(self, conversation_id: str) -> None:
        reply = ui.textarea(placeholder="Type your reply… (Ctrl+Enter to send)").classes("w-full")
        reply.props("outlined autogrow data-testid=reply-input maxlength=4000")

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
