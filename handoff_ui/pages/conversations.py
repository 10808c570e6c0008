"""/conversations (everyone): every conversation, live and ended, newest first: "Search" over the words of
the messages, filters, pages cut on the server, a CSV of the filtered list. The filters live in the URL, so
a search can be shared and reloaded; each change of them is a new address."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import cast
from urllib.parse import urlencode

from fastapi import Request
from nicegui import ui
from nicegui.elements.mixins.text_element import TextElement

from handoff.core import Core
from handoff.errors import HandoffError, Invalid
from handoff.history import STATUSES, HistoryPage, HistoryQuery, HistoryRow, Snippet, Status, status_of
from handoff.views import FLAG_KINDS, AgentRef, FlagKind
from handoff_ui.cards import badge, location
from handoff_ui.components.page import bad_address, enter
from handoff_ui.components.pager import pager
from handoff_ui.live import Live
from handoff_ui.words import FLAG_COLORS, FLAG_WORDS, HISTORY_STATUS_COLORS, HISTORY_STATUS_WORDS

SEARCH = "Search"
EXPORT_CSV = "Export CSV"


def query_from(params: Mapping[str, str]) -> HistoryQuery:
    """The URL's filters (as `to_params` writes them). Raises Invalid for a value that is not one."""

    def day(name: str) -> date | None:
        value = params.get(name, "").strip()
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise Invalid(f"{name} is a date like 2026-12-31", field=name) from None

    try:
        page = int(params.get("page", "1") or "1")
        agent = int(params["agent"]) if params.get("agent") else None
    except ValueError:
        raise Invalid("page and agent are numbers") from None
    status = params.get("status") or None
    flag = params.get("flag") or None
    return HistoryQuery(
        text=params.get("q", "")[:200],
        services=tuple(s for s in params.get("service", "").split(",") if s),
        status=cast(Status | None, status),
        flag=cast(FlagKind | None, flag),
        agent_id=agent,
        started_from=day("from"),
        started_to=day("to"),
        place=params.get("place") or None,
        page=page,
    ).checked()


def to_params(query: HistoryQuery) -> dict[str, str]:
    params = {
        "q": query.text,
        "service": ",".join(query.services),
        "status": query.status or "",
        "flag": query.flag or "",
        "agent": str(query.agent_id) if query.agent_id is not None else "",
        "from": query.started_from.isoformat() if query.started_from else "",
        "to": query.started_to.isoformat() if query.started_to else "",
        "place": query.place or "",
        "page": str(query.page) if query.page != 1 else "",
    }
    return {name: value for name, value in params.items() if value}


def address(query: HistoryQuery) -> str:
    params = to_params(query)
    return "/conversations" + (f"?{urlencode(params)}" if params else "")


def show_snippet(snippet: Snippet) -> None:
    """A matching message with its words marked: each part is text in its own element, never markup."""
    with ui.element("div").classes("hf-snippet text-body2").props("data-testid=snippet"):
        for part, matched in snippet:
            TextElement(tag="mark" if matched else "span", text=part)


class ConversationsPage:
    def __init__(self, core: Core, agent: AgentRef, query: HistoryQuery) -> None:
        self._core = core
        self._agent = agent
        self.query = query

    async def build(self) -> None:
        services = {s.slug: s.name for s in await self._core.services.all()}
        agents = dict(await self._core.history.agents())
        found = await self._core.history.search(self.query)
        q = self.query
        with ui.column().classes("w-full q-pa-lg gap-3"):
            ui.label("Conversations").classes("text-h5")
            with ui.row().classes("w-full items-end gap-2"):
                self._text = ui.input(SEARCH, value=q.text, placeholder="Words from the messages").classes(
                    "grow"
                )
                self._text.props("outlined dense clearable data-testid=search-input maxlength=200")
                self._text.on("keydown.enter", self._apply)
                ui.button(SEARCH, icon="search", on_click=self._apply).props("no-caps data-testid=search")
            with ui.row().classes("w-full items-end gap-2"):
                self._services = ui.select(services, value=list(q.services), multiple=True, label="Services")
                self._services.props("outlined dense use-chips clearable").classes("w-64")
                self._status = (
                    ui.select(
                        {"": "Any status", **{s: HISTORY_STATUS_WORDS[s] for s in STATUSES}},
                        value=q.status or "",
                        label="Status",
                    )
                    .props("outlined dense")
                    .classes("w-32")
                )
                self._flag = (
                    ui.select(
                        {"": "Any flag", **{k: FLAG_WORDS[k] for k in FLAG_KINDS}},
                        value=q.flag or "",
                        label="Flag",
                    )
                    .props("outlined dense")
                    .classes("w-48")
                )
                self._taken = (
                    ui.select(
                        {"": "Anyone", **{str(i): name for i, name in agents.items()}},
                        value=str(q.agent_id) if q.agent_id is not None else "",
                        label="Taken over by",
                    )
                    .props("outlined dense")
                    .classes("w-48")
                )
                self._from = ui.input("From", value=q.started_from.isoformat() if q.started_from else "")
                self._from.props("outlined dense type=date").classes("w-40")
                self._to = ui.input("To", value=q.started_to.isoformat() if q.started_to else "")
                self._to.props("outlined dense type=date").classes("w-40")
                self._place = ui.input("City or country", value=q.place or "").props("outlined dense")
                self._place.on("keydown.enter", self._apply)
                ui.button("Apply", on_click=self._apply).props("no-caps outline")
                ui.link("Clear", "/conversations").classes("q-ml-sm")
            self._summary(found)
            with ui.column().classes("w-full gap-2").props("data-testid=conversation-list"):
                if not found.rows:
                    ui.label("No conversation matches.").classes("text-grey-8").props("data-testid=no-match")
                for row in found.rows:
                    self._row(row, services)
            pager(found.page, found.pages, lambda page: address(replace(self.query, page=page)))

    def _summary(self, found: HistoryPage) -> None:
        with ui.row().classes("w-full items-center gap-3"):
            noun = "conversation" if found.total == 1 and not found.more else "conversations"
            count = f"More than {found.total:,} {noun}" if found.more else f"{found.total:,} {noun}"
            ui.label(count).classes("text-grey-8").props("data-testid=result-count")
            if found.more:
                ui.label("Add a word or a filter to narrow the search.").classes("text-grey-7 text-caption")
            ui.space()
            ui.button(EXPORT_CSV, icon="download", on_click=self._export).props("flat no-caps dense")

    def _row(self, row: HistoryRow, services: dict[str, str]) -> None:
        view = row.conversation
        status = status_of(view)
        item = ui.link(target=f"/conversations/{view.id}").classes("hf-history-row w-full no-underline")
        item.props(f"data-testid=conversation-row data-conversation-id={view.id} data-status={status}")
        with item, ui.column().classes("w-full gap-1"):
            with ui.row().classes("w-full items-center gap-2"):
                badge(HISTORY_STATUS_WORDS[status], color=HISTORY_STATUS_COLORS[status])
                for kind in row.flag_kinds:
                    badge(
                        FLAG_WORDS[kind],
                        color=FLAG_COLORS[kind],
                        outline=kind not in {f.kind for f in view.open_flags},
                    )
                ui.label(services.get(view.service_slug, view.service_slug)).classes("text-weight-medium")
                ui.label(location(view)).classes("text-grey-8 text-sm")
                ui.space()
                ui.label(f"{view.started_at:%Y-%m-%d %H:%M} UTC · {view.message_count} messages").classes(
                    "text-grey-7 text-sm"
                )
            ui.label(view.opening_question or "(no question)").classes("text-body1 text-grey-10")
            if row.snippet:
                show_snippet(row.snippet)

    def _chosen(self) -> HistoryQuery:
        params = {
            "q": self._text.value or "",
            "service": ",".join(self._services.value or []),
            "status": self._status.value or "",
            "flag": self._flag.value or "",
            "agent": self._taken.value or "",
            "from": self._from.value or "",
            "to": self._to.value or "",
            "place": self._place.value or "",
        }
        return query_from(params)

    def _apply(self) -> None:
        try:
            ui.navigate.to(address(self._chosen()))
        except HandoffError as error:
            ui.notify(str(error), type="warning")

    async def _export(self) -> None:
        ui.download.content(await self._core.history.export_csv(self.query), "conversations.csv", "text/csv")


def register(core: Core, live: Live) -> None:
    @ui.page("/conversations", title="Conversations · Handoff")
    async def conversations(request: Request) -> object:
        agent = await enter(core, live, "/conversations")
        if not isinstance(agent, AgentRef):
            return agent
        try:
            query = query_from(request.query_params)
        except HandoffError as error:
            bad_address(error, back="All conversations", to="/conversations")
            return None
        await ConversationsPage(core, agent, query).build()
        return None
