"""The customer's live feed: each new message of its own conversation; a slow reader is told to reconnect."""

from __future__ import annotations

import dataclasses

import pytest

from handoff.core import Core
from handoff.events import MessageAdded
from handoff.streams import FEED_CAPACITY, FeedOverflow


async def test_a_feed_gets_only_its_conversations_messages(core: Core, shop: str) -> None:
    mine = (await core.conversations.start(service_slug=shop, text="hi")).conversation.id
    other = (await core.conversations.start(service_slug=shop, text="hi")).conversation.id
    async with core.streams.feed(mine) as feed:
        await core.conversations.add_customer_message(conversation_id=other, text="not for you")
        added = await core.conversations.add_customer_message(conversation_id=mine, text="for you")
        assert await feed.next(1.0) == added.message
    assert core.streams.open_feed_count() == 0


async def test_a_reader_that_falls_behind_is_told_to_reconnect(core: Core, shop: str) -> None:
    cid = (await core.conversations.start(service_slug=shop, text="hi")).conversation.id
    message = (await core.conversations.messages(cid))[0]
    card = await core.conversations.get(cid)
    async with core.streams.feed(cid) as feed:
        for number in range(FEED_CAPACITY + 1):
            await core.bus.publish(MessageAdded(dataclasses.replace(message, id=message.id + number), card))
        with pytest.raises(FeedOverflow):
            while True:
                await feed.next(1.0)
