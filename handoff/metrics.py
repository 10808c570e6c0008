"""Prometheus figures of one core (`GET /metrics`, CONTRACT.md's token rule), in its own registry: never the
library's global one, so two cores in one process (the tests) never share a figure.

The live conversations, those needing attention and the paused ones, per service, are counted in the
database when scraped (every process says the same). Counted by this process, from the events it published
(sum them over processes): messages by role, flags raised by kind, take-overs, and the time from a first
flag to the take over and from a take over to the first human reply (histograms); webhook attempts by outcome;
HTTP requests by route (a histogram of their durations, `RequestTimer`). And the figures a soak watches for
leaks: the process (memory, CPU, open files), the bus's subscriptions, open console tabs, open event streams,
the event loop's tasks, and the console's own (its NiceGUI clients and the pages' listeners to its live
events, handoff_ui.install).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from handoff import records
from handoff.board import Board
from handoff.bus import EventBus, Subscription
from handoff.events import ConversationUpdated, FlagOpened, MessageAdded
from handoff.presence import Presence
from handoff.streams import MessageStreams
from handoff.webhooks import OUTCOMES, WebhookWorker

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _tasks() -> int:
    return len(asyncio.all_tasks())  # scraped by render(), in the event loop


WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)  # seconds a customer waits for a human


class Metrics:
    def __init__(
        self,
        *,
        bus: EventBus,
        board: Board,
        streams: MessageStreams,
        presence: Presence,
        webhooks: WebhookWorker,
    ) -> None:
        self.registry = CollectorRegistry()
        self._board = board
        self._gauges: dict[str, Gauge] = {}
        self._subscriptions: list[Subscription] = []
        self._taken_at: dict[str, datetime] = {}  # conversation -> its take over, until its first human reply
        ProcessCollector(namespace="handoff", registry=self.registry)
        r = self.registry
        services = ["service"]
        self._live = Gauge("handoff_conversations_live", "live conversations", services, registry=r)
        self._attention = Gauge(
            "handoff_conversations_needing_attention", "conversations that need a human", services, registry=r
        )
        self._paused = Gauge(
            "handoff_conversations_paused", "conversations paused for a human", services, registry=r
        )
        self._messages = Counter("handoff_messages", "messages stored, by role", ["role"], registry=r)
        self._flags = Counter("handoff_flags_raised", "flags raised, by kind", ["kind"], registry=r)
        self._take_overs = Counter("handoff_take_overs", "conversations taken over by an agent", registry=r)
        self._to_take_over = Histogram(
            "handoff_time_to_take_over_seconds",
            "from a conversation's first open flag to its take over",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self._to_reply = Histogram(
            "handoff_time_to_first_human_reply_seconds",
            "from a take over to the agent's first reply",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.http = Histogram(
            "handoff_http_request_duration_seconds",
            "HTTP requests by method, route and status class",
            ["method", "route", "status"],
            registry=r,
        )
        gauges = {
            "handoff_bus_subscriptions": ("event subscriptions in this process", bus.subscription_count),
            "handoff_console_tabs": ("console tabs open on this process", presence.tab_count),
            "handoff_event_streams": ("customers' event streams open", streams.open_feed_count),
            "handoff_event_loop_tasks": ("tasks of this process's event loop", _tasks),
        }
        for name, (words, read) in gauges.items():
            self.gauge(name, words, read)
        self.registry.register(_Deliveries(webhooks))

    def gauge(self, name: str, words: str, read: Callable[[], float]) -> None:
        """A figure read when scraped, from a layer above the core (the console's own, say); a second one of
        the same name replaces the first (a console installed again on the same core)."""
        if name in self._gauges:
            self.registry.unregister(self._gauges.pop(name))
        self._gauges[name] = Gauge(name, words, registry=self.registry)
        self._gauges[name].set_function(read)

    def start(self, bus: EventBus) -> None:
        self._subscriptions = [
            bus.subscribe(MessageAdded, self._on_message, local_only=True),  # each process counts its own
            bus.subscribe(FlagOpened, self._on_flag, local_only=True),
            bus.subscribe(ConversationUpdated, self._on_update, local_only=True),
        ]

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []

    def _on_message(self, event: MessageAdded) -> None:
        self._messages.labels(event.message.role).inc()
        taken_at = (
            self._taken_at.pop(event.message.conversation_id, None) if event.message.role == "human" else None
        )
        if taken_at is not None:
            self._to_reply.observe(max(0.0, (event.message.created_at - taken_at).total_seconds()))

    def _on_flag(self, event: FlagOpened) -> None:
        self._flags.labels(event.flag.kind).inc()

    def _on_update(self, event: ConversationUpdated) -> None:
        before, after = event.before, event.after
        if not after.active:
            self._taken_at.pop(after.id, None)
        if before is None or before.claimed_by_id is not None or after.claimed_by_id is None:
            return
        self._take_overs.inc()  # unclaimed -> claimed
        now = records.utcnow()
        self._taken_at[after.id] = now
        if before.waiting_since is not None:
            self._to_take_over.observe(max(0.0, (now - before.waiting_since).total_seconds()))

    async def render(self) -> bytes:
        """The text format, with the database's figures counted now."""
        by_service = await self._board.stats_by_service()
        for gauge in (self._live, self._attention, self._paused):
            gauge.clear()
        for slug, stats in by_service.items():
            self._live.labels(slug).set(stats.active)
            self._attention.labels(slug).set(stats.attention)
            self._paused.labels(slug).set(stats.paused)
        return generate_latest(self.registry)


class _Deliveries(Collector):
    """handoff_webhook_deliveries_total{outcome}: this process's webhook attempts, by what came of them."""

    def __init__(self, worker: WebhookWorker) -> None:
        self._worker = worker

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "handoff_webhook_deliveries",
            "webhook attempts by outcome (delivered, retried, dead)",
            labels=["outcome"],
        )
        for outcome in OUTCOMES:
            family.add_metric([outcome], self._worker.outcomes[outcome])
        yield family
