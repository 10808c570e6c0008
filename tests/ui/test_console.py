"""The console's rules through NiceGUI's User (no browser)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest
from nicegui import ui
from nicegui.testing import User

from handoff.core import Core
from handoff.errors import Unauthorized
from handoff.events import ConversationUpdated, EventsMissed
from handoff_ui.cards import ConversationCard
from handoff_ui.live import Live
from handoff_ui.services_view import PAGE_SIZE
from tests.support import metric_figures
from tests.ui.conftest import log_in


async def start(core: Core, text: str, slug: str = "shop") -> str:
    return (await core.conversations.start(service_slug=slug, text=text)).conversation.id


def stat(user: User, key: str) -> str:
    (element,) = [e for e in user.find(kind=ui.label).elements if e.props.get("data-testid") == f"stat-{key}"]
    return element.text


def ordered_cards(user: User) -> list[ConversationCard]:
    """The cards in the order the page shows them."""
    some_card = next(iter(user.find(kind=ConversationCard).elements))
    assert some_card.parent_slot is not None
    return [card for card in some_card.parent_slot.children if isinstance(card, ConversationCard)]


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait for a condition the page reaches asynchronously; fail after `seconds`."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - a page state with no event to await
            await asyncio.sleep(0.02)


async def test_console_pages_need_a_session(user: User, console: tuple[Core, Live]) -> None:
    await user.open("/handoff")
    await user.should_see("Log in to the agent console")
    await user.open("/help")
    await user.should_see("Log in to the agent console")


async def submit_login(user: User, email: str, password: str) -> None:
    await user.open("/login")
    user.find("Email").type(email)
    user.find("Password").type(password)
    user.find(kind=ui.button, content="Log in").click()


async def test_a_wrong_password_is_refused(user: User, console: tuple[Core, Live]) -> None:
    core, _ = console
    await core.accounts.add(email="ada@example.com", name="Ada", password="password-1")
    await submit_login(user, "ada@example.com", "not-the-password")
    await user.should_see("Wrong email or password.", retries=50)
    await user.should_not_see("Active Conversations")


async def test_a_throttled_login_says_so_and_keeps_the_right_password_out(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.accounts.add(email="ada@example.com", name="Ada", password="password-1")
    for _ in range(10):
        with pytest.raises(Unauthorized):
            await core.accounts.authenticate(email="ada@example.com", password="guess", address="192.0.2.1")
    await submit_login(user, "ada@example.com", "password-1")
    await user.should_see("Too many failed attempts. Try again in 15 minutes.", retries=50)
    await user.should_not_see("Active Conversations")


async def test_the_screen_shows_services_cards_and_true_counters(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    await start(core, "Where is my order?")
    flagged = await start(core, "Please get me a person")
    await core.conversations.request_human(conversation_id=flagged)
    await log_in(user, core)
    await user.should_see("Web Shop")
    await user.should_see("Where is my order?")
    assert (stat(user, "active"), stat(user, "attention"), stat(user, "paused")) == ("2", "1", "0")
    cards = ordered_cards(user)
    assert cards[0].view.id == flagged  # attention first
    assert cards[0].props["data-attention"] == "true"
    await user.should_see("Help Requested")


async def test_changes_from_elsewhere_appear_live_in_place(user: User, console: tuple[Core, Live]) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    first = await start(core, "First question")
    await log_in(user, core)
    await user.should_see("First question")
    card_before = user.find(marker=f"card-{first}").elements.pop()

    await start(core, "A brand new question")
    await user.should_see("A brand new question")
    await core.conversations.add_customer_message(conversation_id=first, text="I want to talk to a human")
    await user.should_see("Help Requested")
    card_after = user.find(marker=f"card-{first}").elements.pop()
    assert card_after is card_before  # updated in place, not rebuilt
    assert card_after.props["data-attention"] == "true"
    assert stat(user, "active") == "2" and stat(user, "attention") == "1"

    await core.conversations.end(conversation_id=first)
    await user.should_not_see("First question")
    assert stat(user, "active") == "1"


async def panel_open(user: User, core: Core, text: str) -> str:
    """Ada's console with the panel of a new Web Shop conversation (opened with `text`) open."""
    await core.services.add(slug="shop", name="Web Shop")
    cid = await start(core, text)
    await log_in(user, core, name="Ada")
    user.find(marker=f"card-{cid}").click()
    await user.should_see("Take Over Conversation")
    return cid


async def test_take_over_reply_and_release_from_the_panel(user: User, console: tuple[Core, Live]) -> None:
    core, _ = console
    cid = await panel_open(user, core, "My router blinks red")
    user.find(kind=ui.button, content="Take Over Conversation").click()
    await user.should_see("Ada (a human agent) has joined the conversation.")
    reply = user.find(kind=ui.textarea)
    reply.type("Let me check that for you")
    user.find(kind=ui.button, content="Send").click()
    (textarea,) = reply.elements
    await until(lambda: textarea.value == "")  # cleared once the reply is stored
    await user.should_see("Let me check that for you")
    assert [m.role for m in await core.conversations.messages(cid)] == ["user", "system", "human"]
    assert stat(user, "paused") == "1"
    user.find(kind=ui.button, content="Release").click()
    await user.should_see("Another member of our team will be with you shortly.")
    card = await core.conversations.get(cid)
    assert (card.status, card.claimed_by_id) == ("paused", None)


async def test_another_agents_claim_shows_the_banner_and_disables_take_over(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    bob = await core.accounts.add(email="bob@example.com", name="Bob", password="password-1")
    cid = await start(core, "Can I change my plan?")
    await log_in(user, core, name="Ada")
    user.find(marker=f"card-{cid}").click()
    await user.should_see("Take Over Conversation")
    await core.handoffs.take_over(conversation_id=cid, agent=bob)
    await user.should_see("Bob has taken over this conversation.")
    (button,) = [b for b in user.find(kind=ui.button).elements if b.text == "Take Over Conversation"]
    assert not button.enabled


async def test_agents_cannot_change_modes_and_admins_confirm_handing_back(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    bob = await core.accounts.add(email="bob@example.com", name="Bob", password="password-1")
    held = await start(core, "Help me please")
    await core.handoffs.take_over(conversation_id=held, agent=bob)
    await log_in(user, core, name="Ada", admin=True)
    user.find(kind=ui.button, content="AI Only").click()
    await user.should_see(
        "1 conversation paused for a human will go back to the AI, and each customer will be told."
    )
    user.find(kind=ui.button, content="Cancel").click()
    assert (await core.services.get("shop")).mode == "human_supported"
    user.find(kind=ui.button, content="AI Only").click()
    await user.should_see("Switch to AI Only?")
    user.find(kind=ui.button, content="Switch to AI Only").click()
    (section,) = [
        e for e in user.find(kind=ui.element).elements if e.props.get("data-testid") == "service-shop"
    ]
    await until(lambda: section.props.get("data-mode") == "ai_only")
    assert (await core.conversations.get(held)).status == "ai_active"


async def test_cards_are_capped_per_service_with_the_rest_counted(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    total = PAGE_SIZE + 3
    for i in range(total):
        await start(core, f"Question number {i}")
    await log_in(user, core)
    await user.should_see("3 more conversations (attention first)")
    assert len(user.find(kind=ConversationCard).elements) == PAGE_SIZE
    user.find(kind=ui.button, content="Show more").click()
    await user.should_see(f"{total} active")
    await until(lambda: len(user.find(kind=ConversationCard).elements) == total)


async def test_cards_keep_their_order_as_conversations_change_inside_and_below_the_cap(
    user: User, console: tuple[Core, Live]
) -> None:
    core, live = console
    await core.services.add(slug="shop", name="Web Shop")
    await log_in(user, core)
    await user.should_see("0 active")
    ids = [await start(core, f"Question number {i}") for i in range(PAGE_SIZE + 2)]  # newest first on screen
    await user.should_see("2 more conversations (attention first)")
    shown = [card.view.id for card in ordered_cards(user)]
    assert shown == ids[::-1][:PAGE_SIZE]
    hidden = ids[0]  # the oldest: below the cap

    top = shown[0]  # a message on the top card: it keeps its place and shows the new count
    await core.conversations.add_customer_message(conversation_id=top, text="Any news?")
    await user.should_see("· 2 messages")
    assert [card.view.id for card in ordered_cards(user)] == shown

    second = shown[1]  # a message on the second card brings it to the top
    await core.conversations.add_customer_message(conversation_id=second, text="Hello?")
    await until(lambda: [card.view.id for card in ordered_cards(user)][:2] == [second, top])

    hidden_view = live.index.top("shop", PAGE_SIZE + 2)[-1]  # a change that keeps it below the cap
    assert hidden_view.id == hidden
    renamed = replace(hidden_view, customer_name="Kim")
    live.index.apply(renamed)
    live.card_changed.emit(ConversationUpdated(hidden_view, renamed))
    assert [card.view.id for card in ordered_cards(user)] == [second, top, *shown[2:]]
    await user.should_see("2 more conversations (attention first)")

    await core.conversations.add_customer_message(conversation_id=hidden, text="still here")
    await until(lambda: ordered_cards(user)[0].view.id == hidden)  # newest activity: it comes on top
    assert len(ordered_cards(user)) == PAGE_SIZE
    await user.should_see("2 more conversations (attention first)")

    last_shown = ordered_cards(user)[-1].view.id
    await core.conversations.end(conversation_id=last_shown)  # one leaves: the next one below comes up
    await until(lambda: last_shown not in [card.view.id for card in ordered_cards(user)])
    await user.should_see("1 more conversation (attention first)")
    assert len(ordered_cards(user)) == PAGE_SIZE


async def test_the_help_page_uses_the_help_words(user: User, console: tuple[Core, Live]) -> None:
    core, _ = console
    await log_in(user, core)
    await user.open("/help")
    for words in (
        "Connected",
        "Needs Attention",
        "Paused (Human)",
        "Human-Supported AI",
        "Thumbs Down",
        "Non-Answer",
        "Negative Feedback",
        "Help Requested",
        "Take Over Conversation",
        "Resume AI",
    ):
        await user.should_see(words)


async def test_each_tab_subscribes_once_and_its_subscriptions_end_with_it(
    user: User, console: tuple[Core, Live]
) -> None:
    core, live = console
    await log_in(user, core)
    assert len(live.card_changed.callbacks) == 1
    assert len(live.attention_raised.callbacks) == 1
    assert user.client is not None
    user.client.delete()  # what NiceGUI does when the tab is closed
    assert len(live.card_changed.callbacks) == 0
    assert len(live.attention_raised.callbacks) == 0


async def test_closing_one_tab_leaves_the_other_tabs_notifications(
    user: User, console: tuple[Core, Live]
) -> None:
    core, live = console
    await log_in(user, core)
    first_tab = user.client
    await user.open("/help")
    second_tab = user.client
    assert first_tab is not None and second_tab is not None and first_tab is not second_tab
    first_tab.delete()
    slots = [callback.slot() for callback in live.attention_raised.callbacks if callback.slot is not None]
    assert [slot.parent.client for slot in slots if slot is not None] == [second_tab]


async def test_a_change_this_process_never_heard_of_is_caught_up(
    user: User, console: tuple[Core, Live]
) -> None:
    core, live = console
    await core.services.add(slug="shop", name="Web Shop")
    await log_in(user, core)
    elsewhere = Core.create(core.settings)  # another process on the same database, with its own bus
    try:
        await elsewhere.conversations.start(service_slug="shop", text="Written by another process")
    finally:
        await elsewhere.db.dispose()
    await user.should_not_see("Written by another process")
    await live.reconcile()
    await user.should_see("Written by another process")
    assert stat(user, "active") == "1"


async def test_the_open_panel_catches_up_on_what_another_process_wrote_when_events_were_missed(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    cid = await panel_open(user, core, "My router blinks red")
    elsewhere = Core.create(core.settings)  # another process on the same database, with its own bus
    try:
        bob = await elsewhere.accounts.add(email="bob@example.com", name="Bob", password="password-1")
        await elsewhere.handoffs.take_over(conversation_id=cid, agent=bob)
        await elsewhere.handoffs.send(conversation_id=cid, agent=bob, text="Bob here from the other process")
    finally:
        await elsewhere.db.dispose()
    await user.should_not_see("Bob here from the other process")
    await core.bus.publish(EventsMissed("the link between processes broke"))
    await user.should_see("Bob here from the other process")
    await user.should_see("Bob has taken over this conversation.")  # the card as the database has it now
    (button,) = [b for b in user.find(kind=ui.button).elements if b.text == "Take Over Conversation"]
    assert not button.enabled


async def test_the_open_panel_follows_a_mode_change(user: User, console: tuple[Core, Live]) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    cid = await start(core, "Is this covered by warranty?")
    admin = await log_in(user, core)
    user.find(marker=f"card-{cid}").click()
    await user.should_see("Take Over Conversation")
    await core.services.set_mode(slug="shop", mode="ai_only", agent=admin)
    await user.should_see("AI Only: agents cannot take over conversations of this service.")
    (button,) = [b for b in user.find(kind=ui.button).elements if b.text == "Take Over Conversation"]
    assert not button.enabled


def sound_toggle(user: User) -> ui.button:
    buttons = user.find(kind=ui.button).elements
    (toggle,) = [button for button in buttons if button.props.get("data-testid") == "sound-toggle"]
    return toggle


async def test_the_sound_toggle_is_the_agents_preference_on_every_tab(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    agent = await log_in(user, core)
    toggle = sound_toggle(user)
    assert toggle.props["data-enabled"] == "true"
    user.find(marker="sound-toggle").click()
    await until(lambda: toggle.props.get("data-enabled") == "false")
    assert toggle.props["aria-label"] == "Sound off"
    assert not (await core.accounts.preferences(agent.id)).sound  # kept on the server, not in one browser
    # Changed elsewhere (another tab, the Account page): this tab's toggle follows.
    preferences = await core.accounts.preferences(agent.id)
    await core.accounts.set_preferences(agent=agent, preferences=replace(preferences, sound=True))
    await until(lambda: toggle.props.get("data-enabled") == "true")


async def test_not_needed_closes_a_detector_flag_and_records_a_false_alarm(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    cid = await start(core, "transfer me to the billing page")
    (flag,) = (await core.conversations.get(cid)).open_flags
    await log_in(user, core, name="Ada")
    assert stat(user, "attention") == "1"
    user.find(marker=f"card-{cid}").click()
    await user.should_see("Not needed")
    (explanation,) = [e for e in user.find(kind=ui.label).elements if e.props.get("title") == flag.rule]
    assert "transfer me" in explanation.text
    user.find(kind=ui.button, content="Not needed").click()
    await until(lambda: stat(user, "attention") == "0")
    await user.should_not_see("Not needed")
    card = await core.conversations.get(cid)
    assert card.open_flags == ()
    (alarm,) = await core.false_alarms.recorded()
    assert (alarm.kind, alarm.text) == ("help_requested", "transfer me to the billing page")


async def test_a_flag_no_detector_raised_offers_no_not_needed(user: User, console: tuple[Core, Live]) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    cid = await start(core, "Hello")
    await core.conversations.request_human(conversation_id=cid)  # the customer's button
    await log_in(user, core, name="Ada")
    user.find(marker=f"card-{cid}").click()
    await user.should_see("Dismiss flags")
    await user.should_not_see("Not needed")


async def scraped(core: Core) -> dict[str, float]:
    return metric_figures((await core.metrics.render()).decode())


async def test_the_metrics_count_the_console_pages_and_their_listeners(
    user: User, console: tuple[Core, Live]
) -> None:
    core, live = console
    await core.services.add(slug="shop", name="Web Shop")
    await log_in(user, core)  # the page it lands on is the Human Handoff page
    figures = await scraped(core)
    assert figures["handoff_console_clients"] >= 1
    assert figures["handoff_console_listeners"] == live.listener_count() > 0
