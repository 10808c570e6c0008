"""The built-in AI's knowledge: file format, routing to specialist agents, knowing what it doesn't know."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handoff.knowledge import KnowledgeBase, parse
from handoff.responders.knowledge import KnowledgeCache, small_talk

SAMPLES = Path(__file__).resolve().parents[2] / "handoff" / "samples"

ROUTING = [  # worded unlike the knowledge files
    ("shop", "where is my parcel?", "Orders & Shipping"),
    ("shop", "do students get a discount", "Sales"),
    ("shop", "can I pay with paypal", "Sales"),
    ("shop", "do you ship to canada?", "Orders & Shipping"),
    ("shop", "how much does delivery cost", "Orders & Shipping"),
    ("shop", "my package arrived broken", "Returns"),
    ("shop", "I want to exchange these shoes for a bigger size", "Returns"),
    ("shop", "are gift cards available?", "Sales"),
    ("shop", "how do I send an item back", "Returns"),
    ("shop", "can I still cancel the order I placed", "Orders & Shipping"),
    ("helpdesk", "I forgot my password", "Tech Support"),
    ("helpdesk", "router light blinking red", "Tech Support"),
    ("helpdesk", "the app keeps crashing on my phone", "Tech Support"),
    ("helpdesk", "how to get an invoice pdf", "Billing"),
    ("helpdesk", "why did you charge me twice", "Billing"),
    ("helpdesk", "I want a cheaper plan", "Billing"),
    ("helpdesk", "my wifi is really slow", "Tech Support"),
    ("helpdesk", "how do I turn on two factor login", "Tech Support"),
    ("helpdesk", "please cancel my subscription", "Billing"),
    ("helpdesk", "new credit card for payments", "Billing"),
]
UNANSWERABLE = [
    ("shop", "Can you recommend a good restaurant nearby?"),
    ("shop", "What's the capital of France?"),
    ("shop", "Do you sell spaceships?"),
    ("helpdesk", "Who won the football match yesterday?"),
    ("helpdesk", "Can you write me a poem?"),
]


@pytest.fixture(scope="module")
def bases() -> dict[str, KnowledgeBase]:
    return {slug: KnowledgeBase.from_folder(SAMPLES / slug) for slug in ("shop", "helpdesk")}


def test_the_file_format() -> None:
    agent = parse("# Tech Support\nintro ignored\n## How do I reboot?\nHold the button.\n\n## Empty?\n", "x")
    assert agent.name == "Tech Support"
    assert [(s.question, s.answer) for s in agent.sections] == [("How do I reboot?", "Hold the button.")]
    assert parse("## Q\nA", "fallback").name == "fallback"


def test_routing_accuracy_on_the_sample_knowledge(bases: dict[str, KnowledgeBase]) -> None:
    wrong = [(q, bases[slug].route(q), agent) for slug, q, agent in ROUTING if bases[slug].route(q) != agent]
    accuracy = 1 - len(wrong) / len(ROUTING)
    assert accuracy >= 0.9, wrong


def test_answers_come_from_the_matching_section(bases: dict[str, KnowledgeBase]) -> None:
    answer = bases["shop"].answer("Orders & Shipping", "do you ship to canada?")
    assert answer.answered and "Canada" in answer.text and answer.question == "Do you ship internationally?"


@pytest.mark.parametrize(("slug", "question"), UNANSWERABLE)
def test_it_says_plainly_when_it_does_not_know(
    bases: dict[str, KnowledgeBase], slug: str, question: str
) -> None:
    base = bases[slug]
    answer = base.answer(base.route(question), question)
    assert not answer.answered and "don't have information" in answer.text


def test_thanks_and_greetings_are_not_non_answers() -> None:
    assert small_talk("Thanks, that helps!") is not None
    assert small_talk("hello") is not None
    assert small_talk("Thanks, but how do I return it?") is None


async def test_knowledge_reloads_when_its_files_change(tmp_path: Path) -> None:
    page = tmp_path / "faq.md"
    page.write_text("# Support\n## What are your opening hours?\nNine to five.\n")
    cache = KnowledgeCache()
    first = await cache.get(str(tmp_path))
    assert "Nine to five." in first.answer("Support", "opening hours?").text
    page.write_text("# Support\n## What are your opening hours?\nAround the clock.\n")
    os.utime(page, ns=(page.stat().st_atime_ns, page.stat().st_mtime_ns + 1_000_000))
    second = await cache.get(str(tmp_path))
    assert "Around the clock." in second.answer("Support", "opening hours?").text
    assert await cache.get(str(tmp_path)) is second  # unchanged files: no rebuild
