"""The customer's live feed: each new message of its own conversation; a slow reader is told to reconnect."""

from __future__ import annotations

import dataclasses

import pytest

from handoff.core import Core
from handoff.events import MessageAdded
from handoff.streams import FEED_CAPACITY, FeedOverflow, MessageStreams, TooManyStreams


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


async def test_a_new_stream_of_a_conversation_past_its_limit_ends_the_oldest(core: Core, shop: str) -> None:
    streams = MessageStreams(core.bus, per_conversation=2, per_address=10)
    streams.start()
    cid = (await core.conversations.start(service_slug=shop, text="hi")).conversation.id
    try:
        async with streams.feed(cid, "10.0.0.1") as first, streams.feed(cid, "10.0.0.1") as second:
            added = await core.conversations.add_customer_message(conversation_id=cid, text="one")
            async with streams.feed(cid, "10.0.0.2") as third:
                assert streams.open_feed_count() == 2
                assert await first.next(1.0) == added.message  # what it held, then the end
                with pytest.raises(FeedOverflow):
                    await first.next(1.0)
                later = await core.conversations.add_customer_message(conversation_id=cid, text="two")
                assert await second.next(1.0) == added.message
                assert await second.next(1.0) == later.message
                assert await third.next(1.0) == later.message
        assert streams.open_feed_count() == 0 and streams.open_from("10.0.0.1") == 0
    finally:
        streams.stop()


async def test_an_address_holding_its_limit_of_streams_is_refused_until_one_closes(
    core: Core, shop: str
) -> None:
    streams = MessageStreams(core.bus, per_conversation=5, per_address=2)
    cids = [(await core.conversations.start(service_slug=shop, text="hi")).conversation.id for _ in range(3)]
    async with streams.feed(cids[0], "10.0.0.1"), streams.feed(cids[1], "10.0.0.1"):
        with pytest.raises(TooManyStreams, match="at most 2"):
            async with streams.feed(cids[2], "10.0.0.1"):
                pass
        async with streams.feed(cids[2], "10.0.0.2"):  # another address is not held back
            assert streams.open_from("10.0.0.2") == 1
        assert streams.open_from("10.0.0.1") == 2
    async with streams.feed(cids[2], "10.0.0.1"):  # places are given back when streams close
        assert streams.open_from("10.0.0.1") == 1
    assert streams.open_feed_count() == 0
