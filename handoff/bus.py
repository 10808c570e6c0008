"""The event bus: typed publish/subscribe.

`EventBus` is the interface every caller uses; `InProcessBus` carries events inside one process. A bus carried
over Redis can replace it without touching callers, because events are plain frozen dataclasses.

Delivery rules: a subscriber that raises is logged and never stops the others or the publisher. A coroutine
subscriber runs as its own task, so a slow one never holds up the publisher; `drain()` waits for those tasks.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from handoff.events import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None] | None]


class Subscription(Protocol):
    def unsubscribe(self) -> None: ...


class EventBus(Protocol):
    def subscribe(self, event_type: type[E], handler: Handler[E]) -> Subscription:
        """Call `handler` with every published event of `event_type` (or a subclass of it)."""
        ...

    async def publish(self, event: Event) -> None:
        """Deliver `event` to its subscribers."""
        ...

    def subscription_count(self) -> int:
        """How many subscriptions are held in this process."""
        ...

    async def drain(self) -> None:
        """Wait until every subscriber task started so far has finished."""
        ...


class _Subscription:
    def __init__(self, bus: InProcessBus, event_type: type[Event], handler: Handler[Any]) -> None:
        self._bus = bus
        self.event_type = event_type
        self.handler = handler

    def unsubscribe(self) -> None:
        self._bus._remove(self)


class InProcessBus:
    """Events delivered within this process."""

    def __init__(self) -> None:
        self._subscriptions: dict[type[Event], list[_Subscription]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> Subscription:
        subscription = _Subscription(self, event_type, handler)
        self._subscriptions.setdefault(event_type, []).append(subscription)
        return subscription

    def _remove(self, subscription: _Subscription) -> None:
        subscriptions = self._subscriptions.get(subscription.event_type, [])
        if subscription in subscriptions:
            subscriptions.remove(subscription)

    def subscriber_count(self, event_type: type[Event]) -> int:
        return len(self._subscriptions.get(event_type, []))

    def subscription_count(self) -> int:
        """Every subscription held, of every event type (a figure that must not grow as pages come and go)."""
        return sum(len(subscriptions) for subscriptions in self._subscriptions.values())

    async def publish(self, event: Event) -> None:
        for event_type in type(event).__mro__:
            for subscription in list(self._subscriptions.get(event_type, ())):
                self._deliver(subscription, event)

    def _deliver(self, subscription: _Subscription, event: Event) -> None:
        try:
            result = subscription.handler(event)
        except Exception:
            log.exception("subscriber %r failed on %s", subscription.handler, type(event).__name__)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(_guarded(result, subscription, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def _guarded(result: Awaitable[None], subscription: _Subscription, event: Event) -> None:
    try:
        await result
    except Exception:
        log.exception("subscriber %r failed on %s", subscription.handler, type(event).__name__)
