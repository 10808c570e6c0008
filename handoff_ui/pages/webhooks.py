"""/webhooks (admins): outgoing webhooks. "Add webhook" (URL, events, format JSON or Slack; the signing secret
is shown once), and per endpoint: on/off, "Rotate secret", "Remove", and its delivery log (status, attempts,
the last answer) with "Redeliver" on each delivery."""

from __future__ import annotations

from collections.abc import Awaitable

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.outbox import EVENTS
from handoff.views import AgentRef
from handoff.webhooks import DeliveryView, WebhookView
from handoff_ui.components.confirm import confirm
from handoff_ui.components.form import sentence
from handoff_ui.components.page import enter
from handoff_ui.components.secrets import show_once
from handoff_ui.live import Live

FORMAT_WORDS = {"json": "JSON", "slack": "Slack"}
STATUS_COLORS = {"delivered": "positive", "pending": "warning", "dead": "negative"}
SHOWN_DELIVERIES = 20


class WebhooksPage:
    def __init__(self, core: Core, agent: AgentRef) -> None:
        self._core = core
        self._agent = agent

    async def build(self) -> None:
        with ui.column().classes("w-full q-pa-lg gap-4"):
            ui.label("Webhooks").classes("text-h5")
            ui.label(
                "Every event you pick is POSTed, signed (X-Handoff-Signature), to your URL; a failed "
                "delivery is tried again with growing delays and waits in the database, so none is lost."
            ).classes("text-grey-8")
            self._add_form()
            self._list = ui.column().classes("w-full gap-3").props("data-testid=webhook-list")
            await self._draw()

    def _add_form(self) -> None:
        form = ui.card().classes("w-full").props("data-testid=add-webhook")
        with form, ui.column().classes("w-full gap-2"):
            ui.label("Add webhook").classes("text-h6")
            self._url = ui.input("URL", placeholder="https://example.com/handoff-events")
            self._url.props("outlined dense").classes("w-full")
            self._events = ui.select(list(EVENTS), value=list(EVENTS), label="Events", multiple=True)
            self._events.props("outlined dense use-chips").classes("w-full")
            self._format = ui.select(FORMAT_WORDS, value="json", label="Format").props("outlined dense")
            self._format.classes("w-48")
            ui.button("Add webhook", on_click=self._add).props("no-caps")

    async def _add(self) -> None:
        self._url.error = None
        try:
            url, events, kind = self._url.value or "", self._events.value, self._format.value
            hook, secret = await self._core.webhooks.add(url=url, events=events, format=kind, by=self._agent)
        except HandoffError as error:
            self._url.error = sentence(str(error))
            return
        self._url.set_value("")
        show_once("Signing secret", secret)
        await self._draw()
        ui.notify(f"Added webhook {hook.id}.", type="positive")

    async def _draw(self) -> None:
        hooks = await self._core.webhooks.all(by=self._agent)
        logs = {h.id: await self._core.webhooks.deliveries(webhook_id=h.id, by=self._agent) for h in hooks}
        self._list.clear()
        with self._list:
            if not hooks:
                ui.label("No webhooks yet.").classes("text-grey-8")
            for hook in hooks:
                self._endpoint(hook, logs[hook.id])

    def _endpoint(self, hook: WebhookView, log: list[DeliveryView]) -> None:
        card = ui.card().classes("w-full").props(f"data-testid=webhook-row data-webhook-id={hook.id}")
        with card, ui.column().classes("w-full gap-2"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(hook.url).classes("font-mono break-all text-weight-medium")
                ui.badge(FORMAT_WORDS[hook.format]).props("outline")
                ui.space()
                switch = ui.switch("On", value=hook.active).props("data-testid=webhook-active")
                switch.mark(f"webhook-active-{hook.id}")
                switch.on_value_change(lambda e, h=hook: self._set_active(h, bool(e.value)))
                rotate = ui.button("Rotate secret", on_click=lambda h=hook: self._rotate(h))
                rotate.props("flat no-caps dense")
                ui.button("Remove", on_click=lambda h=hook: self._remove(h)).props(
                    "flat no-caps dense color=negative"
                )
            ui.label(", ".join(hook.events)).classes("text-sm text-grey-8")
            with ui.row().classes("w-full items-center"):
                ui.label("Deliveries").classes("text-subtitle2")
                ui.space()
                ui.button("Refresh", icon="refresh", on_click=self._draw).props("flat no-caps dense")
            if not log:
                ui.label("Nothing sent yet.").classes("text-sm text-grey-8")
            for delivery in log[:SHOWN_DELIVERIES]:
                self._delivery(delivery)

    def _delivery(self, delivery: DeliveryView) -> None:
        row = ui.row().classes("w-full items-center no-wrap gap-3 text-sm")
        row.props(f"data-testid=delivery-row data-delivery-id={delivery.id} data-status={delivery.status}")
        with row:
            ui.badge(delivery.status, color=STATUS_COLORS[delivery.status])
            ui.label(delivery.event).classes("font-mono")
            ui.label(f"{delivery.created_at:%Y-%m-%d %H:%M:%S}").classes("text-grey-8")
            tries = "1 attempt" if delivery.attempts == 1 else f"{delivery.attempts} attempts"
            ui.label(tries).classes("text-grey-8")
            if delivery.status == "pending" and delivery.attempts:
                ui.label(f"next {delivery.next_attempt_at:%H:%M:%S}").classes("text-grey-8")
            # as text: whatever the receiver answered never runs here
            ui.label(delivery.last_answer or "").classes("text-grey-8 ellipsis").style("max-width: 28rem")
            ui.space()
            again = ui.button("Redeliver", on_click=lambda d=delivery: self._redeliver(d))
            again.props("flat no-caps dense").mark(f"redeliver-{delivery.id}")

    async def _set_active(self, hook: WebhookView, active: bool) -> None:
        await self._act(self._core.webhooks.set_active(webhook_id=hook.id, active=active, by=self._agent))

    async def _rotate(self, hook: WebhookView) -> None:
        if await confirm(
            "Rotate the signing secret?",
            "The old secret stops working at once: every later delivery is signed with the new one.",
            action="Rotate secret",
        ):
            try:
                secret = await self._core.webhooks.rotate_secret(webhook_id=hook.id, by=self._agent)
            except HandoffError as error:
                ui.notify(sentence(str(error)), type="warning")
                return
            show_once("Signing secret", secret)

    async def _remove(self, hook: WebhookView) -> None:
        if await confirm(
            f"Remove the webhook to {hook.url}?",
            "Nothing more is sent to it, and its delivery log goes with it.",
            action="Remove",
            danger=True,
        ):
            await self._act(self._core.webhooks.remove(webhook_id=hook.id, by=self._agent))

    async def _redeliver(self, delivery: DeliveryView) -> None:
        await self._act(self._core.webhooks.redeliver(delivery_id=delivery.id, by=self._agent))
        ui.notify("Queued again.", type="positive")

    async def _act(self, action: Awaitable[object]) -> None:
        try:
            await action
        except HandoffError as error:
            ui.notify(sentence(str(error)), type="warning")
        await self._draw()


def register(core: Core, live: Live) -> None:
    @ui.page("/webhooks", title="Webhooks · Handoff")
    async def webhooks() -> object:
        agent = await enter(core, live, "/webhooks", admins_only=True)
        if not isinstance(agent, AgentRef):
            return agent
        await WebhooksPage(core, agent).build()
        return None
