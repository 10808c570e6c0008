"""/conversations/<id> (everyone): one conversation's whole story: the transcript with the agents' notes, its
flags and why they were raised and how they were closed, its timeline from the audit log, the same
customer's other conversations, "Export text" and "Export JSON" (the customer's view: no note). A live
conversation's page follows it live."""

from __future__ import annotations

from nicegui import ui

from handoff.core import Core
from handoff.errors import NotFound
from handoff.events import ConversationUpdated, MessageAdded, NoteAdded
from handoff.history import ConversationRecord, TimelineEntry, status_of
from handoff.views import AgentRef, ConversationView, MessageView
from handoff_ui.cards import badge, location
from handoff_ui.components.page import enter
from handoff_ui.live import Live
from handoff_ui.transcript import Transcript
from handoff_ui.words import (
    CLOSED_WORDS,
    FLAG_COLORS,
    FLAG_WORDS,
    HISTORY_STATUS_COLORS,
    HISTORY_STATUS_WORDS,
    ROLE_WORDS,
    TIMELINE_WORDS,
)

EXPORT_TEXT = "Export text"
EXPORT_JSON = "Export JSON"


def timeline_words(entry: TimelineEntry) -> str:
    words = TIMELINE_WORDS.get(entry.what, entry.what.replace("_", " ").capitalize())
    if entry.what == "flagged" and entry.detail:
        words += f": {FLAG_WORDS.get(entry.detail, entry.detail)}"
    return words + (f" by {entry.who}" if entry.who else "")


class ConversationPage:
    def __init__(self, core: Core, live: Live, record: ConversationRecord) -> None:
        self._core = core
        self._live = live
        self.record = record

    def build(self) -> None:
        record = self.record
        view = record.conversation
        with ui.column().classes("w-full max-w-4xl q-pa-lg gap-3"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.link("Conversations", "/conversations")
                ui.label("/")
                ui.label(view.opening_question or "Conversation").classes("text-h6 ellipsis").style(
                    "min-width: 0"
                )
            with ui.row().classes("w-full items-center gap-2"):
                self._status = ui.row().classes("items-center gap-1")
                ui.label(f"{view.service_slug} · {location(view)}").classes("text-grey-8")
                ui.label(f"started {view.started_at:%Y-%m-%d %H:%M} UTC").classes("text-grey-8 text-sm")
                ui.space()
                if view.active:
                    ui.link("Open on the console", f"/handoff?conversation={view.id}")
                ui.button(EXPORT_TEXT, icon="download", on_click=self._export_text).props(
                    "flat no-caps dense"
                )
                ui.button(EXPORT_JSON, icon="download", on_click=self._export_json).props(
                    "flat no-caps dense"
                )
            self._draw_status(view)
            with ui.row().classes("w-full items-start gap-4 no-wrap"):
                with ui.column().classes("grow gap-2").style("min-width: 0"):
                    ui.label("Transcript").classes("text-subtitle1")
                    with ui.element("div").classes("w-full border rounded-borders bg-grey-1"):
                        self._transcript = Transcript(caption=_caption)
                        self._transcript.load(list(record.messages), list(record.notes))
                with ui.column().classes("gap-3").style("width: 320px; flex: none"):
                    self._flags(record)
                    self._timeline = ui.column().classes("w-full gap-1").props("data-testid=timeline")
                    self._draw_timeline(record.timeline)
                    self._same_customer(record)
        if view.active:
            self._live.message_added.subscribe(self._on_message)
            self._live.note_added.subscribe(self._on_note)
            self._live.card_changed.subscribe(self._on_card)

    def _draw_status(self, view: ConversationView) -> None:
        status = status_of(view)
        self._status.clear()
        with self._status:
            badge(HISTORY_STATUS_WORDS[status], color=HISTORY_STATUS_COLORS[status])
            if view.claimed_by_name:
                badge(view.claimed_by_name, color="primary", outline=True)

    def _flags(self, record: ConversationRecord) -> None:
        with ui.column().classes("w-full gap-1").props("data-testid=flags"):
            ui.label("Flags").classes("text-subtitle1")
            if not record.flags:
                ui.label("Never flagged.").classes("text-grey-7")
            for flag in record.flags:
                with ui.column().classes("w-full gap-0"):
                    badge(
                        FLAG_WORDS[flag.kind],
                        color=FLAG_COLORS[flag.kind],
                        outline=flag.closed_at is not None,
                    )
                    why = flag.reason + (f" (score {flag.score:+.2f})" if flag.score is not None else "")
                    ui.label(why).classes("text-caption")
                    if flag.closed_at is not None:
                        how = CLOSED_WORDS.get(flag.closed_how or "", flag.closed_how or "closed")
                        who = f" by {flag.closed_by}" if flag.closed_by else ""
                        ui.label(f"closed: {how}{who}, {flag.closed_at:%H:%M}").classes(
                            "text-caption text-grey-7"
                        )

    def _draw_timeline(self, timeline: tuple[TimelineEntry, ...]) -> None:
        self._timeline.clear()
        with self._timeline:
            ui.label("Timeline").classes("text-subtitle1")
            for entry in timeline:
                with ui.row().classes("w-full no-wrap gap-2").props("data-testid=timeline-entry"):
                    ui.label(f"{entry.at:%m-%d %H:%M}").classes("text-grey-7 text-sm font-mono")
                    ui.label(timeline_words(entry)).classes("text-sm")

    def _same_customer(self, record: ConversationRecord) -> None:
        if not record.same_customer:
            return
        with ui.column().classes("w-full gap-1").props("data-testid=same-customer"):
            ui.label("The same customer's other conversations").classes("text-subtitle1")
            for other in record.same_customer:
                ui.link(
                    f"{other.started_at:%Y-%m-%d} · {other.opening_question or 'Conversation'}",
                    f"/conversations/{other.id}",
                ).classes("text-sm")

    # -- live --------------------------------------------------------------------------------------------

    def _on_message(self, event: MessageAdded) -> None:
        if event.message.conversation_id == self.record.conversation.id:
            self._transcript.append(event.message)

    async def _on_note(self, event: NoteAdded) -> None:
        if event.note.conversation_id == self.record.conversation.id:
            self._transcript.add_note(event.note)
            await self._reload_timeline()

    async def _on_card(self, event: ConversationUpdated) -> None:
        if event.after.id != self.record.conversation.id:
            return
        self._draw_status(event.after)
        if event.before is None or _story(event.before) != _story(event.after):
            await self._reload_timeline()  # a message alone adds nothing to the timeline

    async def _reload_timeline(self) -> None:
        self.record = await self._core.history.conversation(self.record.conversation.id)
        self._draw_timeline(self.record.timeline)

    # -- exports: of the conversation as it is now -------------------------------------------------------

    async def _export_text(self) -> None:
        record = await self._core.history.conversation(self.record.conversation.id)
        ui.download.content(record.export_text(), f"conversation-{record.conversation.id}.txt", "text/plain")

    async def _export_json(self) -> None:
        record = await self._core.history.conversation(self.record.conversation.id)
        ui.download.content(
            record.export_json(), f"conversation-{record.conversation.id}.json", "application/json"
        )


def _story(view: ConversationView) -> tuple[object, ...]:
    """What of a card the timeline tells: who holds it, whether it is paused or ended, its open flags."""
    return (view.status, view.claimed_by_id, view.ended_at, tuple(flag.kind for flag in view.open_flags))


def _caption(message: MessageView) -> str:
    return f"{message.author or ROLE_WORDS[message.role]} · {message.created_at:%H:%M}"


def register(core: Core, live: Live) -> None:
    @ui.page("/conversations/{conversation_id}", title="Conversation · Handoff")
    async def conversation(conversation_id: str) -> object:
        agent = await enter(core, live, "/conversations", current="/conversations")
        if not isinstance(agent, AgentRef):
            return agent
        try:
            record = await core.history.conversation(conversation_id)
        except NotFound:
            ui.label("This conversation does not exist.").classes("text-h6 q-pa-lg").props("role=alert")
            return None
        ConversationPage(core, live, record).build()
        return None
