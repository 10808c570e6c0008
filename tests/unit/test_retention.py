"""Retention deletes only ended conversations older than the admin's days, with everything of theirs, and
nothing while it is off (the default)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from handoff.core import Core
from handoff.errors import Forbidden, Invalid
from handoff.history import HistoryQuery
from handoff.views import AgentRef
from models import AttentionFlag, Conversation, Message, Note

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


async def aged(core: Core, cid: str, days: int) -> None:
    async with core.db.write() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None and conversation.ended_at is not None
        conversation.ended_at -= timedelta(days=days)


@BACKENDS
async def test_only_old_ended_conversations_go_with_all_of_theirs(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    old = (await core.conversations.start(service_slug=shop, text="ancient zebra question")).conversation.id
    await core.conversations.request_human(conversation_id=old)
    await core.notes.add(conversation_id=old, agent=alice, text="old note")
    await core.conversations.end(conversation_id=old)
    await aged(core, old, 40)
    recent = (await core.conversations.start(service_slug=shop, text="recent zebra")).conversation.id
    await core.conversations.end(conversation_id=recent)
    live = (await core.conversations.start(service_slug=shop, text="live zebra")).conversation.id
    async with core.db.write() as session:  # live for 40 days and counting: never deleted
        await session.execute(update(Conversation).where(Conversation.id == live).values(message_count=1))

    assert await core.retention.days() is None
    assert await core.retention.run() == 0  # off by default
    assert await core.retention.would_delete(30, by=None) == 1
    with pytest.raises(Forbidden):
        await core.retention.set_days(30, by=alice)
    with pytest.raises(Invalid):
        await core.retention.set_days(0, by=admin)
    await core.retention.set_days(30, by=admin)
    assert await core.retention.run() == 1

    page = await core.history.search(HistoryQuery(text="zebra"))
    assert {row.conversation.id for row in page.rows} == {recent, live}  # its search entries went too
    async with core.db.read() as session:
        for model in (Message, AttentionFlag, Note):
            left = await session.scalar(
                select(func.count()).select_from(model).where(model.conversation_id == old)
            )
            assert left == 0, model.__name__
    await core.retention.set_days(None, by=admin)
    assert await core.retention.days() is None
