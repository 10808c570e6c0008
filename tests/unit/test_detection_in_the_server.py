"""The detectors run inside the server on every message, and their flags carry the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from handoff.core import Core
from models import Conversation


@pytest.fixture
async def server_core(server_core: Core) -> Core:
    """The shared detecting core, with a second service whose Negative Feedback threshold is its own."""
    await server_core.services.add(slug="calm", name="Calm", negative_threshold=-0.9)
    return server_core


async def flags(core: Core, cid: str) -> dict[str, tuple[str, float | None]]:
    return {f.kind: (f.reason, f.score) for f in (await core.conversations.get(cid)).open_flags}


async def test_a_customer_asking_for_a_human_raises_help_requested(server_core: Core) -> None:
    started = await server_core.conversations.start(service_slug="shop", text="can i talk to a humna pls")
    found = await flags(server_core, started.conversation.id)
    assert list(found) == ["help_requested"]
    assert "can i talk to a humna pls" in found["help_requested"][0]


async def test_a_negative_customer_raises_negative_feedback_with_its_score(server_core: Core) -> None:
    cid = (await server_core.conversations.start(service_slug="shop", text="Hi")).conversation.id
    await server_core.conversations.add_customer_message(
        conversation_id=cid, text="Still waiting after 3 hours. This is ridiculous."
    )
    reason, score = (await flags(server_core, cid))["negative_feedback"]
    assert score is not None and score <= -0.2
    assert "ridiculous" in reason


async def test_the_threshold_is_per_service(server_core: Core) -> None:
    text = "the delivery was late again"
    shop = (await server_core.conversations.start(service_slug="shop", text=text)).conversation.id
    calm = (await server_core.conversations.start(service_slug="calm", text=text)).conversation.id
    assert "negative_feedback" in await flags(server_core, shop)
    assert "negative_feedback" not in await flags(server_core, calm)


async def test_two_mildly_negative_messages_in_a_row_weigh_more_than_one(server_core: Core) -> None:
    cid = (
        await server_core.conversations.start(service_slug="shop", text="my parcel is late")
    ).conversation.id
    assert await flags(server_core, cid) == {}
    await server_core.conversations.add_customer_message(
        conversation_id=cid, text="the tracking page is wrong too"
    )
    reason, _score = (await flags(server_core, cid))["negative_feedback"]
    assert reason.startswith("Two negative messages in a row")


async def test_an_ai_reply_that_does_not_answer_raises_non_answer(server_core: Core) -> None:
    cid = (
        await server_core.conversations.start(service_slug="shop", text="Do you sell gift cards?")
    ).conversation.id
    await server_core.conversations.add_ai_message(
        conversation_id=cid, text="Unfortunately we don't ship there."
    )
    assert await flags(server_core, cid) == {}
    await server_core.conversations.add_ai_message(
        conversation_id=cid, text="I don't have information about that."
    )
    assert list(await flags(server_core, cid)) == ["non_answer"]


async def test_a_flag_already_open_is_not_opened_twice(server_core: Core) -> None:
    cid = (await server_core.conversations.start(service_slug="shop", text="I want a human")).conversation.id
    await server_core.conversations.add_customer_message(conversation_id=cid, text="get me an agent NOW")
    card = await server_core.conversations.get(cid)
    assert [f.kind for f in card.open_flags].count("help_requested") == 1


async def test_friendly_messages_raise_nothing(server_core: Core) -> None:
    cid = (
        await server_core.conversations.start(service_slug="shop", text="Hello! Do you ship to Spain?")
    ).conversation.id
    for text in ("Great, thanks!", "No thanks, that's all", "How many days does shipping take?"):
        await server_core.conversations.add_customer_message(conversation_id=cid, text=text)
    assert await flags(server_core, cid) == {}


async def test_a_conversation_from_before_the_row_kept_its_texts_reads_them_from_its_messages(
    server_core: Core,
) -> None:
    cid = (
        await server_core.conversations.start(service_slug="shop", text="my parcel is late")
    ).conversation.id
    async with server_core.db.write() as session:  # as migration 0004 leaves an older conversation
        await session.execute(
            update(Conversation).where(Conversation.id == cid).values(recent_customer_texts=None)
        )
    await server_core.conversations.add_customer_message(
        conversation_id=cid, text="the tracking page is wrong too"
    )
    reason, _score = (await flags(server_core, cid))["negative_feedback"]
    assert reason.startswith("Two negative messages in a row")
    async with server_core.db.read() as session:
        kept = await session.scalar(select(Conversation.recent_customer_texts).where(Conversation.id == cid))
    assert kept == ["my parcel is late", "the tracking page is wrong too"]
