"""The knowledge page's core: files written atomically in the contract's format, hand edits never
overwritten, "Try a question" on the live AI's path, and unanswered questions turned into answers."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from handoff.core import Core
from handoff.errors import ChangedElsewhere, Invalid
from handoff.events import Event, KnowledgeSaved
from handoff.knowledge import KnowledgeBase
from handoff.knowledge_files import Entry, SpecialistAgent
from handoff.responders.base import DONT_KNOW
from handoff.views import AgentRef
from tests.support import ai_reply

RETURNS = SpecialistAgent(
    name="Returns",
    entries=(
        Entry("How do I return an item?", "Print the label under Account > Returns and post the parcel."),
    ),
)


@pytest.fixture
async def shop(core: Core) -> str:
    return (await core.services.add(slug="shop", name="Shop", answered_by="knowledge")).slug


async def folder_of(core: Core) -> Path:
    service = await core.services.get("shop")
    assert service.knowledge_dir
    return Path(service.knowledge_dir)


async def test_saved_knowledge_is_a_markdown_file_the_ai_answers_from(
    core: Core, shop: str, admin: AgentRef
) -> None:
    events: list[Event] = []
    core.bus.subscribe(KnowledgeSaved, events.append)
    opened = await core.knowledge.open(slug="shop", agent=admin)
    assert opened.agents == ()
    assert await ai_reply(core, "How do I return an item?") == (DONT_KNOW, False)
    saved = await core.knowledge.save(slug="shop", agents=(RETURNS,), based_on=opened.version, agent=admin)
    folder = await folder_of(core)
    assert (folder / "returns.md").read_text(encoding="utf-8") == (
        "# Returns\n\n## How do I return an item?\n"
        "Print the label under Account > Returns and post the parcel.\n"
    )
    assert list(folder.glob(".*")) == []  # no temporary file left behind
    assert [a.name for a in KnowledgeBase.from_folder(folder).agents] == ["Returns"]  # the contract's format
    assert saved.agents[0].file == "returns.md"
    assert events == [KnowledgeSaved("shop", admin.id)]
    text, answered = await ai_reply(core, "How do I return an item?")
    assert answered and text.startswith("Print the label")


async def test_a_hand_edit_since_the_page_opened_is_never_overwritten(
    core: Core, shop: str, admin: AgentRef
) -> None:
    opened = await core.knowledge.open(slug="shop", agent=admin)
    saved = await core.knowledge.save(slug="shop", agents=(RETURNS,), based_on=opened.version, agent=admin)
    file = (await folder_of(core)) / "returns.md"
    hand_written = file.read_text(encoding="utf-8") + "\n## Can I return sale items?\nYes, within 14 days.\n"
    await asyncio.to_thread(file.write_text, hand_written, encoding="utf-8")
    console_edit = replace(RETURNS, name="Returns & Refunds")
    with pytest.raises(ChangedElsewhere, match="changed on disk"):
        await core.knowledge.save(slug="shop", agents=(console_edit,), based_on=saved.version, agent=admin)
    assert file.read_text(encoding="utf-8") == hand_written
    reread = await core.knowledge.open(slug="shop", agent=admin)
    assert [e.question for e in reread.agents[0].entries][-1] == "Can I return sale items?"


async def test_renaming_an_agent_keeps_its_file_and_removing_one_deletes_it(
    core: Core, shop: str, admin: AgentRef
) -> None:
    opened = await core.knowledge.open(slug="shop", agent=admin)
    orders = SpecialistAgent(name="Orders", entries=(Entry("Where is my order?", "Under Account > Orders."),))
    saved = await core.knowledge.save(
        slug="shop", agents=(RETURNS, orders), based_on=opened.version, agent=admin
    )
    returns, orders = saved.agents[1], saved.agents[0]  # read back in file order
    assert (orders.file, returns.file) == ("orders.md", "returns.md")
    renamed = await core.knowledge.save(
        slug="shop", agents=(replace(returns, name="Returns & Refunds"),), based_on=saved.version, agent=admin
    )
    folder = await folder_of(core)
    assert sorted(p.name for p in folder.glob("*.md")) == ["returns.md"]
    assert (folder / "returns.md").read_text(encoding="utf-8").startswith("# Returns & Refunds\n")
    assert renamed.agents[0].name == "Returns & Refunds"


async def test_text_before_the_first_question_survives_a_save(core: Core, shop: str, admin: AgentRef) -> None:
    folder = await folder_of(core)
    folder.mkdir(parents=True)
    (folder / "tech.md").write_text(
        "# Tech Support\n\nWritten by the tech team.\n\n## Reset my password?\nUse Forgot password.\n",
        encoding="utf-8",
    )
    opened = await core.knowledge.open(slug="shop", agent=admin)
    (tech,) = opened.agents
    assert (tech.name, tech.preamble, tech.file) == ("Tech Support", "Written by the tech team.", "tech.md")
    extended = replace(tech, entries=(*tech.entries, Entry("Two-factor?", "Under Settings > Security.")))
    await core.knowledge.save(slug="shop", agents=(extended,), based_on=opened.version, agent=admin)
    assert (folder / "tech.md").read_text(encoding="utf-8") == (
        "# Tech Support\n\nWritten by the tech team.\n\n## Reset my password?\nUse Forgot password.\n"
        "\n## Two-factor?\nUnder Settings > Security.\n"
    )


@pytest.mark.parametrize(
    ("agents", "field"),
    [
        ((replace(RETURNS, name=" "),), "agent"),
        ((RETURNS, replace(RETURNS, name="returns")), "agent"),
        ((replace(RETURNS, entries=(Entry("", "An answer"),)),), "question"),
        ((replace(RETURNS, entries=(Entry("A question?", "  "),)),), "answer"),
        ((replace(RETURNS, entries=(Entry("A question?", "First\n## Not a heading"),)),), "answer"),
    ],
)
async def test_bad_knowledge_is_refused_at_its_field_and_nothing_is_written(
    core: Core, shop: str, admin: AgentRef, agents: tuple[SpecialistAgent, ...], field: str
) -> None:
    opened = await core.knowledge.open(slug="shop", agent=admin)
    with pytest.raises(Invalid) as refused:
        await core.knowledge.save(slug="shop", agents=agents, based_on=opened.version, agent=admin)
    assert refused.value.field == field
    assert not (await folder_of(core)).exists()


async def test_try_a_question_gives_the_agent_the_answer_and_the_score_or_non_answer(
    core: Core, shop: str, admin: AgentRef
) -> None:
    opened = await core.knowledge.open(slug="shop", agent=admin)
    await core.knowledge.save(slug="shop", agents=(RETURNS,), based_on=opened.version, agent=admin)
    found = await core.knowledge.try_question(slug="shop", question="how can I return an item", agent=admin)
    assert (found.agent, found.answered, found.matched_question) == (
        "Returns",
        True,
        "How do I return an item?",
    )
    assert found.score is not None and found.score > 0
    missing = await core.knowledge.try_question(slug="shop", question="Do you sell gift cards?", agent=admin)
    assert (missing.answered, missing.text) == (False, DONT_KNOW)


async def test_unanswered_questions_are_grouped_newest_first_and_leave_once_answered(
    core: Core, shop: str, admin: AgentRef
) -> None:
    for text in ("Do you sell gift cards?", "What are your opening hours?", "do you sell gift cards online"):
        assert (await ai_reply(core, text))[1] is False
    groups = await core.knowledge.unanswered(slug="shop", agent=admin)
    assert [(g.question, g.asked) for g in groups] == [
        ("do you sell gift cards online", 2),
        ("What are your opening hours?", 1),
    ]
    assert groups[0].other_wordings == ("Do you sell gift cards?",)
    opened = await core.knowledge.open(slug="shop", agent=admin)
    gifts = SpecialistAgent(
        name="Sales", entries=(Entry("Do you sell gift cards?", "Yes: gift cards from 10 to 200 euros."),)
    )
    await core.knowledge.save(slug="shop", agents=(gifts,), based_on=opened.version, agent=admin)
    assert [g.question for g in await core.knowledge.unanswered(slug="shop", agent=admin)] == [
        "What are your opening hours?"
    ]
    text, answered = await ai_reply(core, "Do you sell gift cards?")
    assert answered and text.startswith("Yes: gift cards")
