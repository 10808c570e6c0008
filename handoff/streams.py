"""Live message feeds per conversation, for the customer's event stream and chat page.

One bus subscription serves every open feed; each feed is a bounded queue. A feed that falls too far
behind is closed (the client reconnects and catches up from its last message id).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from handoff.bus import EventBus, Subscription
from handoff.events import MessageAdded
from handoff.views import MessageView

FEED_CAPACITY = 256


class FeedOverflow(Exception):
    """The reader fell behind; it should reconnect."""


class Feed:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[MessageView | None] = asyncio.Queue(FEED_CAPACITY)

    def push(self, message: MessageView | None) -> bool:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            return False
        return True

    def overflow(self) -> None:
        """Replace the oldest message with the end marker: the reader reconnects and catches up."""
        self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def next(self, wait_seconds: float) -> MessageView | None:
        """The next message, or None after `wait_seconds` without one. Raises FeedOverflow."""
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
        self._subscription: Subscription | None = None

    def start(self) -> None:
        self._subscription = self._bus.subscribe(MessageAdded, self._on_message)

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.unsubscribe()
            self._subscription = None

    def _on_message(self, event: MessageAdded) -> None:
        for feed in list(self._feeds.get(event.message.conversation_id, ())):
            if not feed.push(event.message):
                self._feeds[event.message.conversation_id].discard(feed)
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
