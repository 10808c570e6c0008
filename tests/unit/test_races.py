"""Races the state rules must win, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from handoff.core import Core
from handoff.errors import AISilenced, AlreadyClaimed
from handoff.views import AgentRef

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@BACKENDS
async def test_of_fifty_simultaneous_take_overs_exactly_one_wins(core: Core, shop: str) -> None:
    agents = [
        await core.accounts.add(email=f"agent{i}@example.com", name=f"Agent {i}", password="password-1")
        for i in range(50)
    ]
    cid = (await core.conversations.start(service_slug=shop, text="Help!")).conversation.id

    results = await asyncio.gather(
        *(core.handoffs.take_over(conversation_id=cid, agent=agent) for agent in agents),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, AlreadyClaimed) for r in losers) and len(losers) == 49
    holder = winners[0].claimed_by_name
    assert all(r.holder_name == holder for r in losers if isinstance(r, AlreadyClaimed))
    joined = [m for m in await core.conversations.messages(cid) if m.role == "system"]
    assert [m.text for m in joined] == [f"{holder} (a human agent) has joined the conversation."]


@BACKENDS
async def test_an_ai_reply_never_lands_after_a_take_over(core: Core, shop: str, alice: AgentRef) -> None:
    """Reply and Take Over race: whichever commits first, no AI message follows the 'joined' message."""
    for round_ in range(25):
        cid = (await core.conversations.start(service_slug=shop, text=f"Question {round_}")).conversation.id
        reply, _taken = await asyncio.gather(
            core.conversations.add_ai_message(conversation_id=cid, text="An answer"),
            core.handoffs.take_over(conversation_id=cid, agent=alice),
            return_exceptions=True,
        )
        roles = [m.role for m in await core.conversations.messages(cid)]
        joined_at = roles.index("system")
        assert "ai" not in roles[joined_at:], roles
        if isinstance(reply, AISilenced):
            assert "ai" not in roles
        else:
            assert not isinstance(reply, BaseException), reply


@BACKENDS
async def test_a_reply_produced_before_the_take_over_committed_is_dropped(
    core: Core, shop: str, alice: AgentRef
) -> None:
    cid = (await core.conversations.start(service_slug=shop, text="Where is my parcel?")).conversation.id
    reply = "Your parcel arrives tomorrow."  # the AI produced this while the agent clicked Take Over
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    with pytest.raises(AISilenced):
        await core.conversations.add_ai_message(conversation_id=cid, text=reply)
    assert "ai" not in [m.role for m in await core.conversations.messages(cid)]
