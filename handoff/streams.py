"""Live message feeds per conversation, for the customer's event stream and chat page: the messages, and
"An agent is typing..." (AgentTyping). Never the consoles' internal notes: they are other events.

One bus subscription serves every open feed; each feed is a bounded queue. A feed that falls too far
behind is closed (the client reconnects and catches up from its last message id).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handoff.bus import EventBus, Subscription
from handoff.events import AgentTyping, MessageAdded
from handoff.views import MessageView

FEED_CAPACITY = 256
Item = MessageView | AgentTyping  # what a feed carries to the customer


class FeedOverflow(Exception):
    """The reader fell behind; it should reconnect."""


class Feed:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Item | None] = asyncio.Queue(FEED_CAPACITY)

    def push(self, message: Item | None) -> bool:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def overflow(self) -> None:
        """Replace the oldest message with the end marker: the reader reconnects and catches up."""
        self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def next(self, wait_seconds: float) -> Item | None:
        """The next message (or typing), or None after `wait_seconds` without one. Raises FeedOverflow."""
        try:
            message = await asyncio.wait_for(self._queue.get(), wait_seconds)
        except TimeoutError:
            return None
        if message is None:
            raise FeedOverflow
        return message


class MessageStreams:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._feeds: dict[str, set[Feed]] = defaultdict(set)
        self._subscriptions: list[Subscription] = []

    def start(self) -> None:
        self._subscriptions = [
            self._bus.subscribe(
                MessageAdded, lambda event: self._push(event.message.conversation_id, event.message)
            ),
            self._bus.subscribe(AgentTyping, lambda event: self._push(event.conversation_id, event)),
        ]

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []

    def _push(self, conversation_id: str, item: Item) -> None:
        for feed in list(self._feeds.get(conversation_id, ())):
            if not feed.push(item):
                self._feeds[conversation_id].discard(feed)
                feed.overflow()

    @asynccontextmanager
    async def feed(self, conversation_id: str) -> AsyncIterator[Feed]:
        """A feed of the conversation's new messages, open for the block's duration."""
        feed = Feed()
        self._feeds[conversation_id].add(feed)
        try:
            yield feed
        finally:
            feeds = self._feeds.get(conversation_id)
            if feeds is not None:
                feeds.discard(feed)
                if not feeds:
                    del self._feeds[conversation_id]

    def open_feed_count(self) -> int:
        return sum(len(feeds) for feeds in self._feeds.values())
