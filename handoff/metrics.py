"""Prometheus figures of one core (`GET /metrics`, CONTRACT.md's token rule), in its own registry: never the
library's global one, so two cores in one process (the tests) never share a figure.

So far the figures a soak watches for leaks: the process (memory, CPU, open files), the bus's
subscriptions, open console tabs, open event streams and the event loop's tasks, and the console's own (its
NiceGUI clients and the pages' listeners to its live events, handoff_ui.install). Each is read when scraped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from handoff.bus import EventBus
from handoff.presence import Presence
from handoff.streams import MessageStreams
from handoff.webhooks import OUTCOMES, WebhookWorker

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _tasks() -> int:
    try:
        return len(asyncio.all_tasks())
    except RuntimeError:  # scraped outside the event loop
        return 0


class Metrics:
    def __init__(
        self, *, bus: EventBus, streams: MessageStreams, presence: Presence, webhooks: WebhookWorker
    ) -> None:
        self.registry = CollectorRegistry()
        self._gauges: dict[str, Gauge] = {}
        ProcessCollector(namespace="handoff", registry=self.registry)
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

    def render(self) -> bytes:
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
