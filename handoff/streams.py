"""Live message feeds per conversation, for the customer's event stream and chat page: the messages, and
"An agent is typing..." (AgentTyping). Never the consoles' internal notes: they are other events.

One bus subscription serves every open feed; each feed is a bounded queue. A feed that falls too far
behind is closed (the client reconnects and catches up from its last message id).

Limits guard against clients that open streams and never read them: at most `per_conversation` feeds per
conversation (a new one closes the oldest: a customer who reloads keeps the newest) and `per_address` per
client address (the next one is refused with TooManyStreams until one closes).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handoff.bus import EventBus, Subscription
from handoff.errors import HandoffError
from handoff.events import AgentTyping, MessageAdded
from handoff.views import MessageView

FEED_CAPACITY = 256
Item = MessageView | AgentTyping  # what a feed carries to the customer


class FeedOverflow(Exception):
    """The reader fell behind, or a newer feed of its conversation replaced it; it should reconnect."""


class TooManyStreams(HandoffError):
    """This client address holds as many open event streams as it may."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"too many open event streams from this address (at most {limit}); close one first")


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

    def close(self) -> None:
        """End the feed after what it holds (or in place of its oldest item, when it is full)."""
        if not self.push(None):
            self.overflow()

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
    def __init__(self, bus: EventBus, *, per_conversation: int = 5, per_address: int = 50) -> None:
        self._bus = bus
        self._per_conversation = per_conversation
        self._per_address = per_address
        self._feeds: dict[str, dict[Feed, None]] = defaultdict(dict)  # oldest first
        self._addresses: Counter[str] = Counter()
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
        feeds = self._feeds.get(conversation_id)
        if not feeds:
            return
        for feed in list(feeds):
            if not feed.push(item):
                feeds.pop(feed, None)
                feed.overflow()

    def check(self, address: str | None) -> None:
        """Raise TooManyStreams if a feed for `address` would be refused now (before a response starts)."""
        if address is not None and self._addresses[address] >= self._per_address:
            raise TooManyStreams(self._per_address)

    @asynccontextmanager
    async def feed(self, conversation_id: str, address: str | None = None) -> AsyncIterator[Feed]:
        """A feed of the conversation's new messages, open for the block's duration. Raises TooManyStreams
        when `address` holds its limit; closes the conversation's oldest feed when it holds its own."""
        self.check(address)
        feeds = self._feeds[conversation_id]
        while len(feeds) >= self._per_conversation:
            oldest = next(iter(feeds))
            del feeds[oldest]
            oldest.close()
        feed = Feed()
        feeds[feed] = None
        if address is not None:
            self._addresses[address] += 1
        try:
            yield feed
        finally:
            if address is not None:
                self._addresses[address] -= 1
                if self._addresses[address] <= 0:
                    del self._addresses[address]
            current = self._feeds.get(conversation_id)
            if current is not None:
                current.pop(feed, None)
                if not current:
                    del self._feeds[conversation_id]

    def open_feed_count(self) -> int:
        return sum(len(feeds) for feeds in self._feeds.values())

    def open_from(self, address: str) -> int:
        return self._addresses[address]
