"""The customer's chat page through NiceGUI's User: a message the server refuses comes back into the box,
with the reason, so nothing the customer typed is lost."""

from __future__ import annotations

from dataclasses import replace

from nicegui import ui
from nicegui.testing import User

from handoff.bus import InProcessBus
from handoff.core import Core
from handoff.events import EventsMissed, MessageAdded
from handoff.views import ConversationView
from handoff_ui.live import Live
from tests.ui.test_console import until


def chat_input(user: User) -> ui.input:
    (found,) = [e for e in user.find(kind=ui.input).elements if e.props.get("data-testid") == "chat-input"]
    assert isinstance(found, ui.input)
    return found


async def test_a_refused_message_comes_back_into_the_box_with_the_reason(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    await user.open("/chat/shop")
    box = chat_input(user)
    with user.client:  # type: ignore[union-attr]
        box.value = "Where is my parcel?"
    user.find(kind=ui.button, content="Send").click()
    await until(lambda: not box.value)  # sent: the box empties...
    await user.should_see("Where is my parcel?")  # ...and the message is stored and shown
    (card,) = await core.board.active_cards("shop")
    await core.conversations.end(conversation_id=card.id)
    with user.client:  # type: ignore[union-attr]
        box.value = "Hello? Are you there?"
    user.find(kind=ui.button, content="Send").click()
    await user.should_see("this conversation has ended")
    assert box.value == "Hello? Are you there?"  # not lost
    assert [m.text for m in await core.conversations.messages(card.id) if m.role == "user"] == [
        "Where is my parcel?"
    ]


async def customer_asks(user: User, core: Core) -> tuple[ui.element, ConversationView]:
    """A customer of a Human Only service asks on the chat page: its transcript, once the message is stored
    and shown, and the conversation's card."""
    await core.services.add(slug="shop", name="Web Shop", mode="human_only")
    await user.open("/chat/shop")
    box = chat_input(user)
    with user.client:  # type: ignore[union-attr]
        box.value = "Where is my parcel?"
    user.find(kind=ui.button, content="Send").click()
    (transcript,) = [e for e in user.find(kind=ui.element).elements if "hf-transcript" in e.classes]
    await until(lambda: len(transcript.default_slot.children) == 1)
    (card,) = await core.board.active_cards("shop")
    return transcript, card


async def test_a_message_that_arrives_after_a_newer_one_takes_its_place(
    user: User, console: tuple[Core, Live]
) -> None:
    """With several processes, another process's event can arrive after a newer one of this process: the
    older message is shown all the same, in its place by id (it was dropped before)."""
    core, _ = console
    transcript, card = await customer_asks(user, core)
    (first,) = await core.conversations.messages(card.id)

    def reply(offset: int, text: str) -> MessageAdded:
        return MessageAdded(replace(first, id=first.id + offset, role="human", text=text, author="Bob"), card)

    assert isinstance(core.bus, InProcessBus)
    core.bus.deliver(reply(20, "A later reply"), local=False)
    await user.should_see("A later reply")
    core.bus.deliver(reply(10, "An earlier reply"), local=False)  # late, from "another process"
    await user.should_see("An earlier reply")
    core.bus.deliver(reply(10, "An earlier reply"), local=False)  # and once only
    shown = [child.props.get("data-message-id") for child in transcript.default_slot.children]
    assert shown == [str(first.id + n) for n in (0, 10, 20)]


async def test_a_chat_page_that_missed_events_catches_up_when_the_console_reads_everything_again(
    user: User, console: tuple[Core, Live]
) -> None:
    """Another process (a second core on the same database, whose events this one never hears) answers the
    customer; once the bus says events were missed, the customer's page shows the answer."""
    core, _ = console
    _, card = await customer_asks(user, core)
    other = Core.create(core.settings)
    await other.start()
    try:
        bob = await other.accounts.add(email="bob@example.com", name="Bob", password="password-1")
        await other.handoffs.take_over(conversation_id=card.id, agent=bob)
        await other.handoffs.send(conversation_id=card.id, agent=bob, text="Bob here, let me look")
    finally:
        await other.stop()
    await core.bus.publish(EventsMissed("the link between processes broke"))
    await user.should_see("Bob here, let me look")
