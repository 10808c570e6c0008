"""The history pages in-process: a search from the URL shows its rows with the words marked (as text), a
conversation's page shows its story and follows it live, and a bad filter in the URL is refused plainly."""

from __future__ import annotations

import importlib

import pytest
from nicegui.testing import User

from handoff.core import Core
from handoff_ui.live import Live
from tests.ui.conftest import log_in


async def test_a_search_in_the_url_lists_the_conversations_it_finds(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    parcel = await core.conversations.start(service_slug="shop", text="Where is my <b>parcel</b>?")
    await core.conversations.start(service_slug="shop", text="Refund for my kettle")
    await log_in(user, core, admin=False)
    await user.open("/conversations?q=parcel")
    await user.should_see("1 conversation")
    await user.should_see("Where is my <b>parcel</b>?")  # the opening question, as text
    await user.should_not_see("Refund for my kettle")
    assert user.client is not None
    elements = list(user.client.elements.values())
    marks = [element for element in elements if element.tag == "mark"]
    assert [getattr(mark, "text", None) for mark in marks] == ["parcel"]  # the word found, marked as text
    rows = [
        e.props.get("data-conversation-id")
        for e in elements
        if e.props.get("data-testid") == "conversation-row"
    ]
    assert rows == [parcel.conversation.id]

    await user.open("/conversations?from=yesterday")
    await user.should_see("from is a date like 2026-12-31")


async def test_a_conversations_page_tells_its_story_and_follows_it_live(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop", mode="human_only")
    cid = (await core.conversations.start(service_slug="shop", text="My order is late")).conversation.id
    agent = await log_in(user, core, admin=False)
    await core.conversations.request_human(conversation_id=cid)
    await user.open(f"/conversations/{cid}")
    await user.should_see("My order is late")
    await user.should_see("Flagged: Help Requested")
    await user.should_see("Export text")
    await core.handoffs.take_over(conversation_id=cid, agent=agent)
    await user.should_see("Taken over by Ada", retries=50)
    await core.notes.add(conversation_id=cid, agent=agent, text="Courier called")
    await user.should_see("Courier called", retries=50)
    await user.should_see("Note added by Ada", retries=50)  # the timeline follows a note too
    await core.conversations.add_customer_message(conversation_id=cid, text="Any news on the courier?")
    await user.should_see("Any news on the courier?", retries=50)
    await core.handoffs.release(conversation_id=cid, agent=agent)
    await user.should_see("Released by Ada", retries=50)
    await user.open("/conversations/no-such-id")
    await user.should_see("This conversation does not exist.")


async def test_the_reports_page_shows_the_figures_of_its_range_and_follows_today(
    user: User, console: tuple[Core, Live], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app's own module (the user fixture imports the app afresh for each test), at a short interval.
    monkeypatch.setattr(importlib.import_module("handoff_ui.pages.reports"), "REFRESH_SECONDS", 0.2)
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop", mode="human_only")
    agent = await log_in(user, core, admin=False)
    ids = [
        (await core.conversations.start(service_slug="shop", text=f"q{n}")).conversation.id for n in range(4)
    ]
    await core.conversations.request_human(conversation_id=ids[0])
    await core.handoffs.take_over(conversation_id=ids[0], agent=agent)
    await user.open("/reports?range=today")
    await user.should_see("Reports")
    assert user.client is not None
    figures = {
        e.props.get("data-testid"): getattr(e, "text", None)
        for e in user.client.elements.values()
        if str(e.props.get("data-testid", "")).startswith("metric-")
    }
    assert figures["metric-conversations"] == "4"
    assert figures["metric-handoff-rate"] == "25%"
    assert figures["metric-ai-resolution-rate"] == "0%"
    await core.conversations.start(service_slug="shop", text="one more")  # today's report follows it
    await user.should_see(marker="metric-conversations", content="5", retries=50)
    await user.should_see(marker="metric-handoff-rate", content="20%")
    await user.open("/reports?range=custom&from=2026-13-01&to=x")
    await user.should_see("a custom range needs from and to")
