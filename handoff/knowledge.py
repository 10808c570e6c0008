"""A service's knowledge: one Markdown file per specialist agent, searched with BM25 (bm25s).

File format: the first `# ` heading is the agent's name; each `## ` heading is a question and the text
under it the answer. The router picks the agent whose whole knowledge best matches the opening question;
the agent answers with its best-matching section only when the match is good enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import bm25s

from handoff.responders.base import DONT_KNOW

STOPWORDS = frozenset(
    (
        "a an and are as at be but by can could do does for from have how i if in into is it its me my "
        "no not of on or our please so that the their them then there these they this to was we what "
        "when where which who why will with would you your yours hi hello hey thanks thank there's i'm "
        "i've can't don't "
    ).split()
)
WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
MIN_OVERLAP = 0.5  # share of the question's content words found in the matched section's question


# Words customers use for the same thing, folded onto one (after stemming).
SAME_THING = {
    "parcel": "order",
    "package": "order",
    "shipment": "order",
    "purchase": "order",
    "item": "order",
    "broken": "damag",
    "broke": "damag",
    "smashed": "damag",
    "cracked": "damag",
    "pay": "payment",
    "card": "payment",
    "deliver": "ship",
    "delivery": "ship",
    "arrive": "ship",
    "twice": "charg",
    "money": "refund",
    "back": "return",
    "forgot": "reset",
    "login": "password",
    "log": "password",
}


def stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Lower-cased content words, stemmed, with customers' synonyms folded ("parcel" -> "order")."""
    words = set()
    for word in WORD.findall(text.lower()):
        if word in STOPWORDS or len(word) < 2:
            continue
        word = SAME_THING.get(word, word)
        word = stem(word)
        words.add(SAME_THING.get(word, word))
    return words


@dataclass(frozen=True, slots=True)
class Section:
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class Agent:
    name: str
    sections: tuple[Section, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    agent: str
    text: str
    answered: bool
    question: str | None = None
    score: float | None = None  # BM25 score of the matched section


def parse(markdown: str, fallback_name: str) -> Agent:
    name = fallback_name
    sections: list[Section] = []
    question: str | None = None
    lines: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("# ") and not sections and question is None:
            name = line[2:].strip() or fallback_name
        elif line.startswith("## "):
            if question is not None:
                sections.append(Section(question, "\n".join(lines).strip()))
            question, lines = line[3:].strip(), []
        elif question is not None:
            lines.append(line)
    if question is not None:
        sections.append(Section(question, "\n".join(lines).strip()))
    return Agent(name=name, sections=tuple(s for s in sections if s.answer))


def _index(texts: list[str]) -> bm25s.BM25:
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    return retriever


class KnowledgeBase:
    """Agents and their sections, indexed for routing and answering. Built from a folder (blocking I/O:
    build it off the event loop)."""

    def __init__(self, agents: list[Agent]) -> None:
        self.agents = [agent for agent in agents if agent.sections]
        self._router = (
            _index(
                [" ".join(f"{s.question} {s.question} {s.answer}" for s in a.sections) for a in self.agents]
            )
            if self.agents
            else None
        )
        self._sections = {
            agent.name: _index([f"{s.question} {s.question} {s.answer}" for s in agent.sections])
            for agent in self.agents
        }

    @classmethod
    def from_folder(cls, folder: Path) -> KnowledgeBase:
        files = sorted(folder.glob("*.md"))
        return cls(
            [parse(path.read_text(encoding="utf-8"), path.stem.replace("_", " ").title()) for path in files]
        )

    def route(self, question: str) -> str | None:
        """The specialist agent for a conversation, from its opening question."""
        if self._router is None:
            return None
        best = self._best(self._router, question)
        return self.agents[best[0]].name if best else self.agents[0].name

    def answer(self, agent_name: str | None, question: str) -> Answer:
        """The agent's best answer, or a plain "I don't know" (answered=False) when nothing matches well."""
        agent = next((a for a in self.agents if a.name == agent_name), None) or (
            self.agents[0] if self.agents else None
        )
        if agent is None:
            return Answer("", DONT_KNOW, answered=False)
        best = self._best(self._sections[agent.name], question)
        if best is None:
            return self._other_agents_answer(agent, question)
        section = agent.sections[best[0]]
        if not self._good_enough(question, section):
            return self._other_agents_answer(agent, question)
        return Answer(agent.name, section.answer, answered=True, question=section.question, score=best[1])

    def _other_agents_answer(self, agent: Agent, question: str) -> Answer:
        """A follow-up may belong to a colleague's knowledge: answer from there if it matches well."""
        for other in self.agents:
            if other is agent:
                continue
            best = self._best(self._sections[other.name], question)
            if best is not None and self._good_enough(question, other.sections[best[0]]):
                section = other.sections[best[0]]
                return Answer(
                    agent.name, section.answer, answered=True, question=section.question, score=best[1]
                )
        return Answer(agent.name, DONT_KNOW, answered=False)

    @staticmethod
    def _good_enough(question: str, section: Section) -> bool:
        asked = content_words(question)
        if not asked:
            return False
        known = content_words(section.question) | content_words(section.answer)
        overlap = len(asked & content_words(section.question)) / len(asked)
        coverage = len(asked & known) / len(asked)
        return overlap >= MIN_OVERLAP or (overlap > 0 and coverage >= 0.34) or coverage >= 0.6

    @staticmethod
    def _best(retriever: bm25s.BM25, question: str) -> tuple[int, float] | None:
        tokens = bm25s.tokenize([question], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return None
        documents, scores = retriever.retrieve(tokens, k=1, show_progress=False)
        index, score = int(documents[0][0]), float(scores[0][0])
        return (index, score) if score > 0 else None
