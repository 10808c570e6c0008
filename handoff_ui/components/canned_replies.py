"""A service's canned replies on its settings page (admins): listed, added, edited and removed. Agents pick
them in the reply box by typing "/" and the shortcut (panel.py)."""

from __future__ import annotations

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.events import CannedRepliesChanged
from handoff.views import AgentRef, CannedReplyView
from handoff_ui.components.confirm import confirm
from handoff_ui.live import Live
from handoff_ui.words import CANCEL

ADD = "Add canned reply"
SAVE_REPLY = "Save reply"


class CannedRepliesEditor:
    def __init__(
        self, core: Core, live: Live, agent: AgentRef, slug: str, replies: list[CannedReplyView]
    ) -> None:
        self._core = core
        self._agent = agent
        self._slug = slug
        self._editing: int | None = None  # the reply being edited; None while adding
        with ui.card().classes("w-full q-pa-md gap-2").props("data-testid=canned-replies-editor"):
            ui.label("Canned replies").classes("text-subtitle1")
            ui.label(
                'Agents type "/" and the shortcut in the reply box to pick one. {customer_name} and '
                "{agent_name} are filled in."
            ).classes("text-grey-8")
            self._rows = ui.column().classes("w-full gap-1")
            self._shortcut = ui.input("Shortcut", placeholder="refund").props("outlined dense prefix=/")
            self._text = ui.textarea("Reply").props("outlined autogrow maxlength=4000").classes("w-full")
            with ui.row().classes("gap-2"):
                self._save = ui.button(ADD, on_click=self._submit).props("no-caps outline")
                self._cancel = ui.button(CANCEL, on_click=self._reset).props("flat no-caps")
                self._cancel.set_visibility(False)
        self._draw(replies)
        live.canned_replies_changed.subscribe(self._on_changed)

    async def _on_changed(self, event: CannedRepliesChanged) -> None:
        if event.service_slug == self._slug:
            self._draw(await self._core.canned_replies.of(self._slug))

    def _draw(self, replies: list[CannedReplyView]) -> None:
        self._rows.clear()
        with self._rows:
            if not replies:
                ui.label("No canned replies yet.").classes("text-grey-7")
            for reply in replies:
                row = (
                    ui.row().classes("w-full items-start no-wrap gap-3").props("data-testid=canned-reply-row")
                )
                row.props["data-shortcut"] = reply.shortcut
                with row:
                    ui.label(f"/{reply.shortcut}").classes("font-mono text-weight-medium")
                    ui.label(reply.text).classes("grow whitespace-pre-wrap text-grey-9").style("min-width: 0")
                    ui.button("Edit", on_click=lambda r=reply: self._edit(r)).props("flat dense no-caps")
                    ui.button("Remove", on_click=lambda r=reply: self._remove(r)).props(
                        "flat dense no-caps color=negative"
                    )

    def _edit(self, reply: CannedReplyView) -> None:
        self._editing = reply.id
        self._shortcut.set_value(reply.shortcut)
        self._text.set_value(reply.text)
        self._save.set_text(SAVE_REPLY)
        self._cancel.set_visibility(True)

    def _reset(self) -> None:
        self._editing = None
        self._shortcut.set_value("")
        self._text.set_value("")
        self._save.set_text(ADD)
        self._cancel.set_visibility(False)

    async def _submit(self) -> None:
        try:
            await self._core.canned_replies.save(
                service_slug=self._slug,
                shortcut=self._shortcut.value or "",
                text=self._text.value or "",
                agent=self._agent,
                reply_id=self._editing,
            )
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        self._reset()

    async def _remove(self, reply: CannedReplyView) -> None:
        if not await confirm(f"Remove /{reply.shortcut}?", action="Remove", danger=True):
            return
        try:
            await self._core.canned_replies.remove(
                service_slug=self._slug, reply_id=reply.id, agent=self._agent
            )
        except HandoffError as error:
            ui.notify(str(error), type="warning")
