"""The event bus: typed publish/subscribe.

`EventBus` is the interface every caller uses; `InProcessBus` carries events inside one process, and
`handoff.redis_bus.RedisBus` carries them between the processes that share one database as well, without
touching callers (events are plain frozen dataclasses with one wire format, `handoff.wire`).

Delivery rules: a subscriber that raises is logged and never stops the others or the publisher. A coroutine
subscriber runs as its own task, so a slow one never holds up the publisher; `drain()` waits for those tasks.
A `local_only` subscriber hears only the events of its own process: it does work that must happen once (an
AI reply, a webhook delivery, a count of this process's work), which the process that made the event does.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from handoff.events import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[E], Awaitable[None] | None]


class Subscription(Protocol):
    def unsubscribe(self) -> None: ...


def new_origin() -> str:
    """A name for this process on the bus, unique among the processes that share it (and their restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class EventBus(Protocol):
    @property
    def origin(self) -> str:
        """This process's name on the bus: what its events carry, so that it can tell them from others'."""
        ...

    @property
    def shared(self) -> bool:
        """Whether other processes hear this bus's events (and this process theirs)."""
        ...

    def subscribe(
        self, event_type: type[E], handler: Handler[E], *, local_only: bool = False
    ) -> Subscription:
        """Call `handler` with every event of `event_type` (or a subclass of it); with `local_only`, only
        with the events published in this process."""
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

    async def start(self) -> None:
        """Connect to the other processes (nothing to do for a bus of one process)."""
        ...

    async def stop(self) -> None: ...


class _Subscription:
    def __init__(
        self, bus: InProcessBus, event_type: type[Event], handler: Handler[Any], local_only: bool
    ) -> None:
        self._bus = bus
        self.event_type = event_type
        self.handler = handler
        self.local_only = local_only

    def unsubscribe(self) -> None:
        self._bus._remove(self)


class InProcessBus:
    """Events delivered within this process."""

    def __init__(self, *, origin: str | None = None) -> None:
        self._origin = origin or new_origin()
        self._subscriptions: dict[type[Event], list[_Subscription]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def shared(self) -> bool:
        return False

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def subscribe(
        self, event_type: type[E], handler: Handler[E], *, local_only: bool = False
    ) -> Subscription:
        subscription = _Subscription(self, event_type, handler, local_only)
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
        self.deliver(event, local=True)

    def deliver(self, event: Event, *, local: bool) -> None:
        """Hand `event` to its subscribers: all of them when it was made in this process (`local`), else
        those that are not `local_only`."""
        for event_type in type(event).__mro__:
            for subscription in list(self._subscriptions.get(event_type, ())):
                if local or not subscription.local_only:
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
