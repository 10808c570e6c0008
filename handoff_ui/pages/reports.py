"""/reports (everyone): how the AI and the team did over a range of days and services: figures, charts
(NiceGUI's ECharts), "Download CSV". The range and the services live in the URL. A range that includes today
follows the console's events (redrawn at most every REFRESH_SECONDS while something changed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import Request
from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError, Invalid
from handoff.reports import Report, ReportQuery
from handoff.views import FLAG_KINDS, AgentRef
from handoff_ui.components.page import bad_address, enter
from handoff_ui.live import Live
from handoff_ui.words import FLAG_WORDS

RANGES = {"today": "Today", "7d": "7 days", "30d": "30 days", "custom": "Custom"}
REFRESH_SECONDS = 5.0
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def query_from(params: Mapping[str, str], today: date) -> tuple[str, ReportQuery]:
    chosen = params.get("range", "7d")
    if chosen not in RANGES:
        raise Invalid("range is today, 7d, 30d or custom", field="range")
    services = tuple(s for s in params.get("service", "").split(",") if s)
    if chosen == "custom":
        try:
            first, last = date.fromisoformat(params.get("from", "")), date.fromisoformat(params.get("to", ""))
        except ValueError:
            raise Invalid("a custom range needs from and to, dates like 2026-12-31", field="from") from None
    else:
        days = {"today": 1, "7d": 7, "30d": 30}[chosen]
        first, last = today - timedelta(days=days - 1), today
    return chosen, ReportQuery(first, last, services).checked()


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


class ReportsPage:
    def __init__(self, core: Core, live: Live, chosen: str, query: ReportQuery) -> None:
        self._core = core
        self._live = live
        self._chosen = chosen
        self.query = query
        self._changed = False

    async def build(self) -> None:
        services = {s.slug: s.name for s in await self._core.services.all()}
        report = await self._core.reports.report(self.query)
        with ui.column().classes("w-full q-pa-lg gap-4"):
            with ui.row().classes("w-full items-end gap-3"):
                ui.label("Reports").classes("text-h5")
                ui.space()
                self._range = ui.toggle(RANGES, value=self._chosen).props("no-caps")
                self._from = ui.input("From", value=self.query.first_day.isoformat()).props(
                    "outlined dense type=date"
                )
                self._to = ui.input("To", value=self.query.last_day.isoformat()).props(
                    "outlined dense type=date"
                )
                self._services = ui.select(
                    services, value=list(self.query.services), multiple=True, label="Services"
                )
                self._services.props("outlined dense use-chips clearable").classes("w-64")
                ui.button("Show", on_click=self._apply).props("no-caps outline")
                ui.button("Download CSV", icon="download", on_click=self._download).props("flat no-caps")
            self._body = ui.column().classes("w-full gap-4")
        self._draw(report)
        if self.query.last_day >= datetime.now(UTC).date():  # today is in it: follow what happens
            self._live.card_changed.subscribe(self._mark_changed)
            ui.timer(REFRESH_SECONDS, self._refresh)

    def _mark_changed(self, _event: object) -> None:
        self._changed = True

    async def _refresh(self) -> None:
        if self._changed:
            self._changed = False
            self._draw(await self._core.reports.report(self.query))

    def _draw(self, report: Report) -> None:
        self.report = report
        self._body.clear()
        with self._body:
            with ui.row().classes("w-full gap-3"):
                metric("Conversations", str(report.conversations), "metric-conversations")
                metric("Handoff rate", percent(report.handoff_rate), "metric-handoff-rate")
                metric("AI resolution rate", percent(report.ai_resolution_rate), "metric-ai-resolution-rate")
                metric(
                    "Time to take over (median)",
                    duration(report.time_to_take_over_median),
                    "metric-time-to-take-over",
                    value=report.time_to_take_over_median,
                )
                metric(
                    "Time to take over (p90)",
                    duration(report.time_to_take_over_p90),
                    "metric-time-to-take-over-p90",
                )
                metric(
                    "First human reply (median)",
                    duration(report.time_to_first_reply_median),
                    "metric-time-to-first-reply",
                )
                metric("Thumbs Down rate", percent(report.thumbs_down_rate), "metric-thumbs-down-rate")
            with ui.row().classes("w-full gap-4 items-start"):
                with ui.card().classes("q-pa-md gap-1").props("data-testid=flags-by-kind"):
                    ui.label("Flags by kind").classes("text-subtitle1")
                    for kind in FLAG_KINDS:
                        not_needed, raised = report.false_alarms.get(kind, (0, 0))
                        alarms = (
                            f" · {not_needed} Not needed ({percent(not_needed / raised)})" if raised else ""
                        )
                        ui.label(f"{FLAG_WORDS[kind]}: {report.flags.get(kind, 0)}{alarms}")
                with ui.card().classes("q-pa-md gap-1").props("data-testid=non-answers"):
                    ui.label("Non-Answers by specialist agent").classes("text-subtitle1")
                    if not report.non_answer_by_agent:
                        ui.label("No AI answers in this range.").classes("text-grey-7")
                    for agent, (missed, total) in sorted(
                        report.non_answer_by_agent.items(), key=lambda item: -item[1][0] / max(1, item[1][1])
                    ):
                        ui.label(
                            f"{agent}: {missed} of {total} ({percent(missed / total if total else None)})"
                        )
            with ui.row().classes("w-full gap-4 no-wrap"):
                days = [day.isoformat() for day, _, _ in report.per_day]
                ui.echart(
                    {
                        "title": {
                            "text": "Conversations and handoffs per day",
                            "textStyle": {"fontSize": 14},
                        },
                        "tooltip": {"trigger": "axis"},
                        "legend": {"bottom": 0},
                        "xAxis": {"type": "category", "data": days},
                        "yAxis": {"type": "value", "minInterval": 1},
                        "series": [
                            {
                                "name": "Conversations",
                                "type": "bar",
                                "data": [n for _, n, _ in report.per_day],
                            },
                            {"name": "Taken over", "type": "bar", "data": [t for _, _, t in report.per_day]},
                        ],
                    }
                ).classes("w-1/2 h-72").props("data-testid=chart-per-day")
                ui.echart(
                    {
                        "title": {"text": "Load by weekday and hour (UTC)", "textStyle": {"fontSize": 14}},
                        "tooltip": {},
                        "xAxis": {"type": "category", "data": [f"{h:02}" for h in range(24)]},
                        "yAxis": {"type": "category", "data": WEEKDAYS},
                        "visualMap": {
                            "min": 0,
                            "max": max(report.load.values(), default=1),
                            "orient": "horizontal",
                            "bottom": 0,
                            "left": "center",
                        },
                        "series": [
                            {
                                "type": "heatmap",
                                "data": [
                                    [hour, weekday, count] for (weekday, hour), count in report.load.items()
                                ],
                            }
                        ],
                    }
                ).classes("w-1/2 h-72").props("data-testid=chart-load")
            flag_days = sorted({day for day, _, _ in report.flags_per_day})
            counts = {(day, kind): n for day, kind, n in report.flags_per_day}
            ui.echart(
                {
                    "title": {"text": "Flags by kind per day", "textStyle": {"fontSize": 14}},
                    "tooltip": {"trigger": "axis"},
                    "legend": {"bottom": 0},
                    "xAxis": {"type": "category", "data": [day.isoformat() for day in flag_days]},
                    "yAxis": {"type": "value", "minInterval": 1},
                    "series": [
                        {
                            "name": FLAG_WORDS[kind],
                            "type": "bar",
                            "stack": "flags",
                            "data": [counts.get((day, kind), 0) for day in flag_days],
                        }
                        for kind in FLAG_KINDS
                    ],
                }
            ).classes("w-full h-72").props("data-testid=chart-flags")

    def _address(self) -> str:
        params = {"range": self._range.value or "7d", "service": ",".join(self._services.value or [])}
        if params["range"] == "custom":
            params |= {"from": self._from.value or "", "to": self._to.value or ""}
        return "/reports?" + urlencode({k: v for k, v in params.items() if v})

    def _apply(self) -> None:
        ui.navigate.to(self._address())

    def _download(self) -> None:
        name = f"report-{self.query.first_day.isoformat()}-{self.query.last_day.isoformat()}.csv"
        ui.download.content(self.report.to_csv(), name, "text/csv")


def metric(title: str, shown: str, test_id: str, *, value: float | None = None) -> None:
    with ui.card().classes("q-pa-sm min-w-[180px]"):
        ui.label(title).classes("text-caption text-grey-8")
        label = ui.label(shown).classes("text-h5").props(f"data-testid={test_id}").mark(test_id)
        if value is not None:
            label.props["data-value"] = f"{value:.1f}"  # seconds, for scripts


def register(core: Core, live: Live) -> None:
    @ui.page("/reports", title="Reports · Handoff")
    async def reports(request: Request) -> object:
        agent = await enter(core, live, "/reports")
        if not isinstance(agent, AgentRef):
            return agent
        try:
            chosen, query = query_from(request.query_params, datetime.now(UTC).date())
        except HandoffError as error:
            bad_address(error, back="This week", to="/reports")
            return None
        await ReportsPage(core, live, chosen, query).build()
        return None
