"""/audit (admins): every agent action, newest first: who, when, what, on which conversation and from where;
filters in the URL (action, who, days); "Export CSV"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from urllib.parse import urlencode

from fastapi import Request
from nicegui import ui

from handoff.audit import AuditPage, AuditQuery
from handoff.core import Core
from handoff.errors import HandoffError, Invalid
from handoff.views import AgentRef
from handoff_ui.components.page import bad_address, enter
from handoff_ui.components.pager import pager
from handoff_ui.live import Live


def query_from(params: Mapping[str, str]) -> AuditQuery:
    try:
        first = date.fromisoformat(params["from"]) if params.get("from") else None
        last = date.fromisoformat(params["to"]) if params.get("to") else None
        account = int(params["who"]) if params.get("who") else None
        page = int(params.get("page") or 1)
    except ValueError:
        raise Invalid("from and to are dates like 2026-12-31; who and page are numbers") from None
    return AuditQuery(
        action=params.get("action") or None,
        account_id=account,
        conversation_id=params.get("conversation") or None,
        first_day=first,
        last_day=last,
        page=page,
    )


class AuditPageView:
    def __init__(self, core: Core, agent: AgentRef, query: AuditQuery) -> None:
        self._core = core
        self._agent = agent
        self.query = query

    async def build(self) -> None:
        found = await self._core.audit.entries(self.query, by=self._agent)
        agents = dict(await self._core.history.agents())
        q = self.query
        with ui.column().classes("w-full q-pa-lg gap-3"):
            ui.label("Audit log").classes("text-h5")
            with ui.row().classes("w-full items-end gap-2"):
                self._action = (
                    ui.select(
                        {"": "Any action", **{a: a for a in found.actions}},
                        value=q.action or "",
                        label="Action",
                    )
                    .props("outlined dense")
                    .classes("w-48")
                )
                self._who = (
                    ui.select(
                        {"": "Anyone", **{str(i): n for i, n in agents.items()}},
                        value=str(q.account_id) if q.account_id is not None else "",
                        label="Who",
                    )
                    .props("outlined dense")
                    .classes("w-48")
                )
                self._from = ui.input("From", value=q.first_day.isoformat() if q.first_day else "")
                self._from.props("outlined dense type=date").classes("w-40")
                self._to = ui.input("To", value=q.last_day.isoformat() if q.last_day else "")
                self._to.props("outlined dense type=date").classes("w-40")
                ui.button("Apply", on_click=self._apply).props("no-caps outline")
                ui.space()
                ui.button("Export CSV", icon="download", on_click=self._export).props("flat no-caps dense")
            ui.label(f"{found.total} entries").classes("text-grey-8").props("data-testid=audit-count")
            self._table(found)

    def _table(self, found: AuditPage) -> None:
        with ui.column().classes("w-full gap-1").props("data-testid=audit-log"):
            for row in found.rows:
                line = ui.row().classes("w-full items-start no-wrap gap-3 hf-audit-row")
                line.props(f"data-testid=audit-row data-action={row.action}")
                with line:
                    ui.label(f"{row.at:%Y-%m-%d %H:%M:%S}").classes("font-mono text-sm text-grey-8")
                    ui.label(row.who or "-").classes("text-weight-medium")
                    ui.label(row.action).classes("font-mono")
                    if row.conversation_id:
                        ui.link("conversation", f"/conversations/{row.conversation_id}").classes("text-sm")
                    if row.address:
                        ui.label(row.address).classes("text-sm text-grey-8")
                    details = {k: v for k, v in row.details.items() if k != "address"}
                    if details:  # as text: whatever an admin or a customer typed never runs
                        ui.label(json.dumps(details, ensure_ascii=False, default=str)).classes(
                            "text-sm text-grey-8 break-all"
                        )
        pager(found.page, found.pages, self._address)

    def _address(self, page: int = 1) -> str:
        params = {
            "action": self._action.value or "",
            "who": self._who.value or "",
            "from": self._from.value or "",
            "to": self._to.value or "",
            "conversation": self.query.conversation_id or "",
            "page": str(page) if page > 1 else "",
        }
        return "/audit?" + urlencode({k: v for k, v in params.items() if v})

    def _apply(self) -> None:
        ui.navigate.to(self._address())

    async def _export(self) -> None:
        csv = await self._core.audit.export_csv(self.query, by=self._agent)
        ui.download.content(csv, "audit.csv", "text/csv")


def register(core: Core, live: Live) -> None:
    @ui.page("/audit", title="Audit log · Handoff")
    async def audit(request: Request) -> object:
        agent = await enter(core, live, "/audit", admins_only=True)
        if not isinstance(agent, AgentRef):
            return agent
        try:
            query = query_from(request.query_params)
            await AuditPageView(core, agent, query).build()
        except HandoffError as error:
            bad_address(error, back="The whole log", to="/audit")
        return None
