"""The in-process event bus: typed delivery, isolation of failing subscribers, unsubscribe."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import pytest

from handoff.bus import InProcessBus
from handoff.events import ConversationEnded, Event, ServiceAdded
from handoff.views import ConversationView, ServiceView

SERVICE = ServiceView(id=1, slug="shop", name="Shop", mode="human_supported")


def _card() -> ConversationView:
    now = datetime.now(UTC)
    return ConversationView(
        id="c1",
        service_slug="shop",
        service_mode="human_supported",
        status="ai_active",
        started_at=now,
        last_activity_at=now,
        message_count=0,
    )


async def test_delivers_only_the_subscribed_type_and_its_subclasses() -> None:
    bus = InProcessBus()
    added: list[ServiceAdded] = []
    everything: list[Event] = []
    bus.subscribe(ServiceAdded, added.append)
    bus.subscribe(Event, everything.append)

    await bus.publish(ServiceAdded(SERVICE))
    await bus.publish(ConversationEnded(_card()))

    assert [e.service.slug for e in added] == ["shop"]
    assert [type(e) for e in everything] == [ServiceAdded, ConversationEnded]


async def test_a_raising_subscriber_stops_neither_the_others_nor_the_publisher(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = InProcessBus()
    received: list[str] = []

    def broken(_event: ServiceAdded) -> None:
        raise RuntimeError("boom")

    async def broken_async(_event: ServiceAdded) -> None:
        raise RuntimeError("async boom")

    bus.subscribe(ServiceAdded, broken)
    bus.subscribe(ServiceAdded, broken_async)
    bus.subscribe(ServiceAdded, lambda e: received.append(e.service.slug))

    await bus.publish(ServiceAdded(SERVICE))
    await bus.drain()

    assert received == ["shop"]
    assert "boom" in caplog.text and "async boom" in caplog.text


async def test_a_slow_coroutine_subscriber_does_not_hold_up_the_publisher() -> None:
    bus = InProcessBus()
    release = asyncio.Event()
    finished: list[str] = []

    async def slow(event: ServiceAdded) -> None:
        await release.wait()
        finished.append(event.service.slug)

    bus.subscribe(ServiceAdded, slow)
    await bus.publish(ServiceAdded(SERVICE))  # returns although `slow` is still waiting
    assert finished == []
    release.set()
    await bus.drain()
    assert finished == ["shop"]


async def test_unsubscribe_stops_delivery() -> None:
    bus = InProcessBus()
    received: list[ServiceAdded] = []
    subscription = bus.subscribe(ServiceAdded, received.append)
    subscription.unsubscribe()
    subscription.unsubscribe()  # twice is harmless
    await bus.publish(ServiceAdded(SERVICE))
    assert received == []
    assert bus.subscriber_count(ServiceAdded) == 0


def test_event_payloads_are_frozen() -> None:
    event = ServiceAdded(SERVICE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.service = SERVICE  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        SERVICE.mode = "ai_only"  # type: ignore[misc]
