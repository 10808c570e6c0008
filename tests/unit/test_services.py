"""The core's transitions as stories, on a real SQLite file."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff.core import Core
from handoff.errors import Forbidden, Invalid, NotFound, Unauthorized
from handoff.events import (
    AIResumed,
    ConversationStarted,
    ConversationTakenOver,
    ConversationUpdated,
    Event,
    FlagOpened,
    FlagsClosed,
    MessageAdded,
    ServiceModeChanged,
)
from handoff.handoffs import RELEASED_TEXT, RESUMED_TEXT
from handoff.views import AgentRef, Stats
from models import AuditEntry


def record(core: Core) -> list[Event]:
    events: list[Event] = []
    core.bus.subscribe(Event, events.append)
    return events


async def start(core: Core, text: str = "Where is my order?") -> str:
    return (await core.conversations.start(service_slug="shop", text=text)).conversation.id


async def roles_and_texts(core: Core, cid: str) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in await core.conversations.messages(cid)]


async def test_starting_a_conversation_stores_the_opening_question_and_announces_it(
    core: Core, shop: str
) -> None:
    events = record(core)
    started = await core.conversations.start(
        service_slug=shop, text="My router blinks red", customer_name="Sam", is_demo=True
    )
    card = started.conversation
    assert (card.opening_question, card.message_count, card.status, card.is_demo) == (
        "My router blinks red",
        1,
        "ai_active",
        True,
    )
    assert [type(e) for e in events] == [ConversationStarted, ConversationUpdated, MessageAdded]
    assert await core.conversations.verify_token(card.id, started.token)
    assert not await core.conversations.verify_token(card.id, started.token + "x")


async def test_unknown_service_is_not_found(core: Core) -> None:
    with pytest.raises(NotFound):
        await core.conversations.start(service_slug="nope", text="hi")


async def test_text_is_stored_exactly_as_sent(core: Core, shop: str) -> None:
    text = "<script>alert('x')</script> naïve 日本語 🙂 \u200b & &amp;"
    cid = await start(core, text)
    assert await roles_and_texts(core, cid) == [("user", text)]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
@pytest.mark.parametrize("text", ["", "   \n", "x" * 4001, "nul \x00 byte", "half \ud800 a pair"])
async def test_empty_overlong_or_unstorable_text_is_refused(core: Core, shop: str, text: str) -> None:
    cid = await start(core)
    with pytest.raises(Invalid):
        await core.conversations.add_customer_message(conversation_id=cid, text=text)
    assert len(await core.conversations.messages(cid)) == 1


async def test_a_repeated_client_message_id_returns_the_first_message(core: Core, shop: str) -> None:
    cid = await start(core)
    first = await core.conversations.add_customer_message(
        conversation_id=cid, text="a", client_message_id="m1"
    )
    again = await core.conversations.add_customer_message(
        conversation_id=cid, text="b", client_message_id="m1"
    )
    assert first.created and not again.created
    assert again.message == first.message
    assert [t for _, t in await roles_and_texts(core, cid)] == ["Where is my order?", "a"]


async def test_take_over_pauses_the_ai_tells_the_customer_and_acknowledges_flags(
    core: Core, shop: str, alice: AgentRef
) -> None:
    cid = await start(core)
    await core.conversations.request_human(conversation_id=cid)
    assert await core.board.stats() == Stats(active=1, attention=1, paused=0)
    events = record(core)

    card = await core.handoffs.take_over(conversation_id=cid, agent=alice)

    assert (card.status, card.claimed_by_name, card.open_flags) == ("paused", "Alice", ())
    assert (await roles_and_texts(core, cid))[-1] == (
        "system",
        "Alice (a human agent) has joined the conversation.",
    )
    assert await core.board.stats() == Stats(active=1, attention=0, paused=1)
    assert {type(e) for e in events} == {
        MessageAdded,
        ConversationTakenOver,
        ConversationUpdated,
        FlagsClosed,
    }
    update = next(e for e in events if isinstance(e, ConversationUpdated))
    assert update.before is not None and update.before.needs_attention and not update.after.needs_attention


async def test_only_the_holder_can_reply_and_the_reply_carries_the_agents_name(
    core: Core, shop: str, alice: AgentRef, bob: AgentRef
) -> None:
    cid = await start(core)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    message = await core.handoffs.send(conversation_id=cid, agent=alice, text="Hi, I'm checking it now.")
    assert (message.role, message.author) == ("human", "Alice")
    assert message.to_api()["author"] == "Alice"
    with pytest.raises(Exception, match="Alice has already taken over"):
        await core.handoffs.send(conversation_id=cid, agent=bob, text="Me too")


async def test_release_leaves_it_paused_for_a_colleague(
    core: Core, shop: str, alice: AgentRef, bob: AgentRef
) -> None:
    cid = await start(core)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    card = await core.handoffs.release(conversation_id=cid, agent=alice)
    assert (card.status, card.claimed_by_id) == ("paused", None)
    assert (await roles_and_texts(core, cid))[-1] == ("system", RELEASED_TEXT)
    card = await core.handoffs.take_over(conversation_id=cid, agent=bob)
    assert card.claimed_by_name == "Bob"


async def test_resume_ai_lets_the_ai_answer_the_next_message(core: Core, shop: str, alice: AgentRef) -> None:
    cid = await start(core)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    events = record(core)
    card = await core.handoffs.resume_ai(conversation_id=cid, agent=alice)
    assert (card.status, card.claimed_by_id) == ("ai_active", None)
    assert any(isinstance(e, AIResumed) for e in events)
    await core.conversations.add_customer_message(conversation_id=cid, text="Thanks")
    await core.conversations.add_ai_message(conversation_id=cid, text="You're welcome!")
    assert (await roles_and_texts(core, cid))[-3:] == [
        ("system", RESUMED_TEXT),
        ("user", "Thanks"),
        ("ai", "You're welcome!"),
    ]


async def test_switching_to_ai_only_hands_paused_conversations_back_with_a_message(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    held, released, untouched = await start(core), await start(core), await start(core)
    await core.handoffs.take_over(conversation_id=held, agent=alice)
    await core.handoffs.take_over(conversation_id=released, agent=alice)
    await core.handoffs.release(conversation_id=released, agent=alice)
    assert await core.services.held_count([shop]) == 2
    events = record(core)

    service = await core.services.set_mode(slug=shop, mode="ai_only", agent=admin)

    assert service.mode == "ai_only"
    for cid in (held, released):
        card = await core.conversations.get(cid)
        assert (card.status, card.claimed_by_id) == ("ai_active", None)
        assert (await roles_and_texts(core, cid))[-1] == ("system", RESUMED_TEXT)
    assert (await roles_and_texts(core, untouched))[-1][0] == "user"
    assert sum(isinstance(e, AIResumed) for e in events) == 2
    assert sum(isinstance(e, ServiceModeChanged) for e in events) == 1
    assert await core.board.stats() == Stats(active=3, attention=0, paused=0)


async def test_set_all_services_and_only_admins_change_modes(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    await core.services.add(slug="bank", name="Bank")
    with pytest.raises(Forbidden):
        await core.services.set_all_modes(mode="human_only", agent=alice)
    views = await core.services.set_all_modes(mode="human_only", agent=admin)
    assert [(v.slug, v.mode) for v in views] == [("shop", "human_only"), ("bank", "human_only")]
    with pytest.raises(Invalid):
        await core.services.set_mode(slug=shop, mode="robots", agent=admin)


async def test_flags_without_text_analysis(core: Core, shop: str, alice: AgentRef) -> None:
    cid = await start(core)
    events = record(core)
    answer = await core.conversations.add_ai_message(
        conversation_id=cid, text="I don't know.", answered=False
    )
    good = await core.conversations.add_ai_message(conversation_id=cid, text="Tomorrow.")
    await core.conversations.rate(conversation_id=cid, message_id=good.id, value="down")
    await core.conversations.rate(conversation_id=cid, message_id=answer.id, value="down")  # not twice
    await core.conversations.request_human(conversation_id=cid)
    await core.conversations.request_human(conversation_id=cid)

    card = await core.conversations.get(cid)
    assert [f.kind for f in card.open_flags] == ["non_answer", "thumbs_down", "help_requested"]
    assert [e.flag.kind for e in events if isinstance(e, FlagOpened)] == [
        "non_answer",
        "thumbs_down",
        "help_requested",
    ]
    assert "I don't know." in card.open_flags[0].reason
    assert card.open_flags[1].message_id == good.id


async def test_only_ai_messages_can_be_rated(core: Core, shop: str) -> None:
    cid = await start(core)
    first = (await core.conversations.messages(cid))[0]
    with pytest.raises(Invalid):
        await core.conversations.rate(conversation_id=cid, message_id=first.id, value="down")
    with pytest.raises(NotFound):
        await core.conversations.rate(conversation_id=cid, message_id=9999, value="down")
    with pytest.raises(Invalid):
        await core.conversations.rate(conversation_id=cid, message_id=first.id, value="sideways")


async def test_dismissing_flags_without_taking_over(core: Core, shop: str, alice: AgentRef) -> None:
    cid = await start(core)
    await core.conversations.request_human(conversation_id=cid)
    card = await core.handoffs.dismiss_flags(conversation_id=cid, agent=alice)
    assert (card.open_flags, card.status, card.needs_attention) == ((), "ai_active", False)
    await core.conversations.request_human(conversation_id=cid)  # a new request opens a new flag
    assert (await core.conversations.get(cid)).needs_attention


async def test_stats_count_only_active_conversations(core: Core, shop: str, alice: AgentRef) -> None:
    flagged, held, ended = await start(core), await start(core), await start(core)
    await core.conversations.request_human(conversation_id=flagged)
    await core.conversations.request_human(conversation_id=held)
    await core.handoffs.take_over(conversation_id=held, agent=alice)
    await core.conversations.request_human(conversation_id=held)  # flagged while held: not "needs attention"
    await core.conversations.end(conversation_id=ended)
    assert await core.board.stats() == Stats(active=2, attention=1, paused=1)
    cards = await core.board.active_cards()
    assert cards[0].id == flagged  # attention first


async def test_every_agent_action_lands_in_the_audit_log(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    cid = await start(core)
    await core.conversations.request_human(conversation_id=cid)
    await core.handoffs.dismiss_flags(conversation_id=cid, agent=alice)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    await core.handoffs.send(conversation_id=cid, agent=alice, text="Hello")
    await core.handoffs.release(conversation_id=cid, agent=alice)
    await core.handoffs.resume_ai(conversation_id=cid, agent=alice)
    await core.services.set_mode(slug=shop, mode="human_only", agent=admin)
    async with core.db.read() as session:
        entries = [
            (e.action, e.account_id)
            for e in await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.action not in ("account_added", "service_added")  # the fixtures' doing
        ]
    assert entries == [
        ("dismiss_flags", alice.id),
        ("take_over", alice.id),
        ("send", alice.id),
        ("release", alice.id),
        ("resume_ai", alice.id),
        ("set_mode", admin.id),
    ]


async def test_events_are_published_after_the_commit(core: Core, shop: str) -> None:
    seen_in_database: list[bool] = []

    async def check(event: MessageAdded) -> None:
        other_reader = await core.conversations.messages(event.message.conversation_id)
        seen_in_database.append(event.message in other_reader)

    core.bus.subscribe(MessageAdded, check)
    cid = await start(core)
    await core.conversations.add_customer_message(conversation_id=cid, text="Hello?")
    await core.bus.drain()
    assert seen_in_database == [True, True]


async def test_accounts_passwords_first_admin_and_session_secret(core: Core) -> None:
    first = await core.accounts.ensure_first_admin(email=None, password=None)
    assert first is not None and first.generated_password
    assert await core.accounts.ensure_first_admin(email="x@y.z", password="whatever1") is None
    admin = await core.accounts.authenticate(email="ADMIN@localhost", password=first.generated_password)
    assert admin.is_admin
    with pytest.raises(Unauthorized):
        await core.accounts.authenticate(email="admin@localhost", password="wrong-password")
    with pytest.raises(Unauthorized):
        await core.accounts.authenticate(email="nobody@localhost", password="wrong-password")
    secret = await core.accounts.session_secret()
    assert len(secret) > 40 and secret == await core.accounts.session_secret()
