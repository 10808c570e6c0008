"""The agent's workspace in the core: internal notes that never reach the customer, canned replies kept by
admins, presence coalesced per conversation, "An agent is typing..." from the holder only, and a suggested
reply from the knowledge after Take Over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from handoff.api.routes import _event_stream
from handoff.bus import InProcessBus
from handoff.canned_replies import fill
from handoff.core import Core
from handoff.errors import Conflict, Forbidden, Invalid, NotFound
from handoff.events import AgentTyping, Event, NoteAdded, OnlineChanged, ViewersChanged
from handoff.presence import Presence
from handoff.settings import Settings
from handoff.views import AgentRef, Viewer

SAMPLES = Path(__file__).resolve().parents[2] / "handoff" / "samples"


class Recorder:
    def __init__(self, core: Core, *kinds: type[Event]) -> None:
        self.events: list[Event] = []
        self._subscriptions = [core.bus.subscribe(kind, self.events.append) for kind in kinds]


async def started(core: Core, shop: str, text: str = "Where is my order?") -> tuple[str, str]:
    conversation = await core.conversations.start(service_slug=shop, text=text)
    return conversation.conversation.id, conversation.token


# -- internal notes --------------------------------------------------------------------------------------


async def test_a_note_is_kept_for_agents_and_is_never_a_message(
    core: Core, shop: str, alice: AgentRef
) -> None:
    cid, _ = await started(core, shop)
    recorder = Recorder(core, NoteAdded)
    note = await core.notes.add(conversation_id=cid, agent=alice, text="  Customer is a VIP, be quick  ")
    await core.bus.drain()
    assert note.author == "Alice" and note.text == "Customer is a VIP, be quick"
    assert recorder.events == [NoteAdded(note)]
    assert await core.notes.of(cid) == [note]
    assert "VIP" not in " ".join(message.text for message in await core.conversations.messages(cid))
    card = await core.conversations.get(cid)
    assert card.message_count == 1  # the opening question only: a note is not a message


async def test_notes_refuse_what_they_should(core: Core, shop: str, alice: AgentRef, admin: AgentRef) -> None:
    cid, _ = await started(core, shop)
    with pytest.raises(Invalid):
        await core.notes.add(conversation_id=cid, agent=alice, text="   ")
    with pytest.raises(Invalid):
        await core.notes.add(conversation_id=cid, agent=alice, text="x" * 4001)
    with pytest.raises(NotFound):
        await core.notes.add(conversation_id="nope", agent=alice, text="hello")
    accounts = {account.email: account for account in await core.accounts.all(by=admin)}
    await core.accounts.deactivate(account_id=accounts["alice@example.com"].id, by=admin)
    with pytest.raises(Forbidden):
        await core.notes.add(conversation_id=cid, agent=alice, text="still here?")
    assert await core.notes.of(cid) == []


async def stream_until(core: Core, cid: str, last: str, *, act: Callable[[], Awaitable[object]]) -> list[str]:
    """The lines the customer's event stream (GET .../events, the route's own generator) sends while `act`
    runs, up to the first line holding `last`. (httpx's in-process transport does not stream a response.)"""
    lines: list[str] = []
    connected = asyncio.Event()

    async def read() -> None:
        async for chunk in _event_stream(core, cid, None, None):
            lines.extend(chunk.splitlines())
            connected.set()  # ": connected" comes first, once the feed is open: what follows is streamed
            if last in chunk:
                return

    reader = asyncio.create_task(read())
    await asyncio.wait_for(connected.wait(), 5)
    await act()
    await asyncio.wait_for(reader, 5)
    return lines


async def test_a_note_reaches_neither_the_messages_api_nor_the_event_stream(
    core: Core, shop: str, alice: AgentRef, api: httpx.AsyncClient
) -> None:
    cid, token = await started(core, shop)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)

    async def note_then_reply() -> None:
        await core.notes.add(conversation_id=cid, agent=alice, text="SECRET-NOTE do not tell")
        await core.handoffs.send(conversation_id=cid, agent=alice, text="the human reply")

    lines = await stream_until(core, cid, "the human reply", act=note_then_reply)
    assert any("the human reply" in line for line in lines)
    assert not any("SECRET-NOTE" in line for line in lines)
    auth = {"Authorization": f"Bearer {token}"}
    listed = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
    assert [m["text"] for m in listed][-1] == "the human reply"
    assert "SECRET-NOTE" not in str(listed)


# -- canned replies --------------------------------------------------------------------------------------


async def test_admins_keep_canned_replies_and_agents_read_them(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    saved = await core.canned_replies.save(
        service_slug=shop, shortcut="/Refund", text="Hi {customer_name}, {agent_name} here.", agent=admin
    )
    assert saved.shortcut == "refund"
    with pytest.raises(Forbidden):
        await core.canned_replies.save(service_slug=shop, shortcut="hello", text="Hello!", agent=alice)
    with pytest.raises(Forbidden):
        await core.canned_replies.remove(service_slug=shop, reply_id=saved.id, agent=alice)
    with pytest.raises(Conflict):
        await core.canned_replies.save(service_slug=shop, shortcut="refund", text="again", agent=admin)
    with pytest.raises(Invalid):
        await core.canned_replies.save(service_slug=shop, shortcut="no spaces", text="x", agent=admin)
    with pytest.raises(Invalid):
        await core.canned_replies.save(service_slug=shop, shortcut="empty", text=" ", agent=admin)
    changed = await core.canned_replies.save(
        service_slug=shop, shortcut="refund", text="Refunds take 5 days.", agent=admin, reply_id=saved.id
    )
    assert await core.canned_replies.of(shop) == [changed]
    await core.canned_replies.remove(service_slug=shop, reply_id=saved.id, agent=admin)
    assert await core.canned_replies.of(shop) == []


def test_placeholders_are_filled_and_nothing_else_is_touched() -> None:
    text = "Hi {customer_name}, this is {agent_name}. {other} stays; {customer_name}!"
    assert fill(text, customer_name="Eve", agent_name="Ada") == "Hi Eve, this is Ada. {other} stays; Eve!"
    assert fill("Hi {customer_name}", customer_name=None, agent_name="Ada") == "Hi there"
    assert fill("{agent_name}", customer_name="Eve", agent_name="{customer_name}") == "{customer_name}"


# -- presence --------------------------------------------------------------------------------------------


@pytest.fixture
async def presence_events(core: Core) -> AsyncIterator[list[Event]]:
    events: list[Event] = []
    subscriptions = [core.bus.subscribe(kind, events.append) for kind in (ViewersChanged, OnlineChanged)]
    yield events
    for subscription in subscriptions:
        subscription.unsubscribe()


async def test_presence_is_coalesced_into_one_event_per_conversation(
    core: Core, presence_events: list[Event]
) -> None:
    presence = Presence(core.bus, coalesce_seconds=3600)  # published only when the test says so
    agents = [AgentRef(id=number, display_name=f"Agent {number:02}") for number in range(25)]
    for number, agent in enumerate(agents):
        presence.open_tab(f"tab-{number}", agent)
        presence.connected(f"tab-{number}")
        presence.view(f"tab-{number}", "c1")
        presence.view(f"tab-{number}", "c2" if number % 2 else "c1")  # a change of mind, coalesced too
    await presence.publish()
    await core.bus.drain()
    viewers = {e.conversation_id: e.viewers for e in presence_events if isinstance(e, ViewersChanged)}
    online = [e for e in presence_events if isinstance(e, OnlineChanged)]
    assert len(presence_events) == 3 and len(online) == 1  # c1, c2 and who is online: one each
    assert [v.name for v in viewers["c1"]] == [f"Agent {n:02}" for n in range(0, 25, 2)]
    assert [v.name for v in viewers["c2"]] == [f"Agent {n:02}" for n in range(1, 25, 2)]
    await presence.publish()
    await core.bus.drain()
    assert len(presence_events) == 3  # nothing changed since: nothing published


async def test_viewers_leave_when_the_panel_or_the_tab_closes(
    core: Core, presence_events: list[Event]
) -> None:
    presence = Presence(core.bus, coalesce_seconds=0.01)
    published: asyncio.Queue[ViewersChanged] = asyncio.Queue()
    core.bus.subscribe(ViewersChanged, published.put_nowait)
    ada, bob = AgentRef(id=1, display_name="Ada"), AgentRef(id=2, display_name="Bob")
    for tab, agent in (("a1", ada), ("a2", ada), ("b1", bob)):  # Ada has two tabs
        presence.open_tab(tab, agent)
        presence.connected(tab)
    presence.view("a1", "c1")
    presence.view("a2", "c1")
    presence.view("b1", "c1")
    both = (Viewer(1, "Ada"), Viewer(2, "Bob"))
    assert await asyncio.wait_for(published.get(), 5) == ViewersChanged("c1", both)  # by itself, soon
    presence.view("a1", None)
    assert presence.viewers("c1") == both  # still open in Ada's other tab
    presence.close_tab("a2")
    presence.close_tab("b1")
    assert presence.viewers("c1") == () and presence.online() == (Viewer(1, "Ada"),)
    assert presence.is_online(1) and not presence.is_online(2)
    assert await asyncio.wait_for(published.get(), 5) == ViewersChanged("c1", ())
    await core.bus.drain()
    assert presence_events[-1] == OnlineChanged((Viewer(1, "Ada"),))


async def test_a_tab_whose_socket_dropped_is_not_shown_until_it_is_back() -> None:
    presence = Presence(InProcessBus(), coalesce_seconds=3600)
    presence.open_tab("t", AgentRef(id=1, display_name="Ada"))
    presence.view("t", "c1")
    assert presence.viewers("c1") == () and presence.online() == ()  # built, not yet connected
    presence.connected("t")
    assert presence.viewers("c1") == (Viewer(1, "Ada"),)
    presence.disconnected("t")
    assert presence.viewers("c1") == () and not presence.is_online(1)  # a closed tab leaves at once
    presence.connected("t")  # the reconnect is told before the drop it follows
    presence.connected("t")
    presence.disconnected("t")
    assert presence.viewers("c1") == (Viewer(1, "Ada"),)  # one socket is still there
    await presence.stop()


# -- typing ----------------------------------------------------------------------------------------------


async def test_only_the_holders_typing_reaches_the_customer_at_most_every_few_seconds(
    core: Core, shop: str, alice: AgentRef, bob: AgentRef
) -> None:
    cid, _ = await started(core, shop)
    recorder = Recorder(core, AgentTyping)
    assert not await core.handoffs.typing(conversation_id=cid, agent=alice)  # nobody holds it yet
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    assert not await core.handoffs.typing(conversation_id=cid, agent=bob)  # not the holder
    assert await core.handoffs.typing(conversation_id=cid, agent=alice)
    assert not await core.handoffs.typing(conversation_id=cid, agent=alice)  # told a moment ago
    await core.handoffs.send(conversation_id=cid, agent=alice, text="Let me check.")
    assert await core.handoffs.typing(conversation_id=cid, agent=alice)  # the next reply: told at once
    await core.bus.drain()
    assert recorder.events == [AgentTyping(cid, "Alice"), AgentTyping(cid, "Alice")]
    async with core.streams.feed(cid) as feed:
        core.handoffs._typing_told.clear()  # as if the throttle's seconds had passed
        await core.handoffs.typing(conversation_id=cid, agent=alice)
        assert await feed.next(1.0) == AgentTyping(cid, "Alice")


async def test_the_event_stream_names_typing_as_its_own_event(core: Core, shop: str, alice: AgentRef) -> None:
    cid, _ = await started(core, shop)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    lines = await stream_until(
        core, cid, "agent", act=lambda: core.handoffs.typing(conversation_id=cid, agent=alice)
    )
    assert lines[-3:] == ["event: typing", 'data: {"agent": "Alice"}', ""]  # no id: it is not a message


# -- suggested reply -------------------------------------------------------------------------------------


@pytest.fixture
async def knowing_core(settings: Settings) -> AsyncIterator[Core]:
    core = Core.create(settings)
    await core.start()
    await core.services.add(
        slug="shop", name="Web Shop", mode="human_only", knowledge_dir=str(SAMPLES / "shop")
    )
    yield core
    await core.stop()


async def test_the_suggestion_is_the_knowledges_answer_to_the_latest_question_it_knows(
    knowing_core: Core,
) -> None:
    core = knowing_core
    cid = (
        await core.conversations.start(service_slug="shop", text="How long does shipping take?")
    ).conversation.id
    await core.conversations.add_customer_message(conversation_id=cid, text="I want to talk to a person")
    suggestion = await core.responders.suggest(cid)
    assert suggestion is not None and "2 to 4 working days" in suggestion
    assert [m.role for m in await core.conversations.messages(cid)] == ["user", "user"]  # nothing was sent


async def test_no_suggestion_without_an_answer(knowing_core: Core) -> None:
    core = knowing_core
    cid = (await core.conversations.start(service_slug="shop", text="zzzz qqqq xxxx")).conversation.id
    assert await core.responders.suggest(cid) is None
