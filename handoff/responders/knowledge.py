"""The built-in AI: answers from the service's knowledge folder, through specialist agents."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from detection.base import MessageContext
from detection.help_requested import HelpRequested
from handoff.knowledge import KnowledgeBase
from handoff.responders.base import DONT_KNOW, Reply, ReplyRequest


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.md")))


class KnowledgeCache:
    """Knowledge bases by folder, rebuilt when a file in the folder changes. File access runs in a thread."""

    def __init__(self) -> None:
        self._bases: dict[Path, tuple[tuple[tuple[str, int, int], ...], KnowledgeBase]] = {}
        self._lock = asyncio.Lock()

    async def get(self, folder: str) -> KnowledgeBase:
        path = Path(folder)
        async with self._lock:
            signature = await asyncio.to_thread(_signature, path)
            cached = self._bases.get(path)
            if cached is None or cached[0] != signature:
                base = await asyncio.to_thread(KnowledgeBase.from_folder, path)
                self._bases[path] = (signature, base)
                return base
            return cached[1]

    def forget(self, folder: str) -> None:
        self._bases.pop(Path(folder), None)


THANKS = re.compile(
    r"^\W*(?:thanks?|thank you|thx|ty|great|perfect|awesome|ok(?:ay)?|cool|got it|that helps?)\b",
    re.IGNORECASE,
)
GREETING = re.compile(r"^\W*(?:hi|hello|hey|good (?:morning|afternoon|evening))\W*$", re.IGNORECASE)
BYE = re.compile(r"^\W*(?:bye|goodbye|see you|cheers)\b", re.IGNORECASE)
SMALL_TALK_WORDS = 8
WELCOME = "You're welcome! Is there anything else I can help you with?"
HELLO = "Hello! What can I help you with today?"
GOODBYE = "Thanks for chatting with us. Have a great day!"
PERSON_ASKED = (
    "I've let our team know you would like to talk to a person. Someone will join you here shortly."
)


def small_talk(text: str) -> str | None:
    """A reply to thanks, greetings and goodbyes, which no knowledge answers and which are not questions."""
    if len(text.split()) > SMALL_TALK_WORDS or "?" in text:
        return None
    for pattern, reply in ((GREETING, HELLO), (BYE, GOODBYE), (THANKS, WELCOME)):
        if pattern.search(text):
            return reply
    return None


@dataclass(frozen=True, slots=True)
class Consultation:
    """What the built-in AI would say to a question, and why: the specialist agent, the answer, the
    matched question and its score, or no answer (Non-Answer)."""

    agent: str | None
    text: str
    answered: bool
    matched_question: str | None = None
    score: float | None = None


class KnowledgeResponder:
    def __init__(self, cache: KnowledgeCache) -> None:
        self._cache = cache
        self._help_requested = HelpRequested()

    async def reply(self, request: ReplyRequest) -> Reply | None:
        conversation = request.conversation
        found = await self.consult(
            request.service.knowledge_dir,
            request.question,
            agent_name=conversation.agent_name,
            opening_question=conversation.opening_question,
        )
        return Reply(found.text, answered=found.answered, agent=found.agent)

    async def consult(
        self,
        folder: str | None,
        question: str,
        *,
        agent_name: str | None = None,
        opening_question: str | None = None,
    ) -> Consultation:
        """The answer to `question` in a conversation held by `agent_name` (or routed by its opening
        question): the one path of the live AI and of the knowledge page's "Try a question"."""
        if not folder:
            return Consultation(None, DONT_KNOW, answered=False)
        base = await self._cache.get(folder)
        return self._consult(base, question, agent_name=agent_name, opening_question=opening_question)

    async def consult_all(self, folder: str, questions: list[str]) -> list[Consultation]:
        """`consult` for many opening questions at once, off the event loop (the knowledge page asks it for
        every unanswered question)."""
        base = await self._cache.get(folder)
        return await asyncio.to_thread(lambda: [self._consult(base, question) for question in questions])

    def _consult(
        self,
        base: KnowledgeBase,
        question: str,
        *,
        agent_name: str | None = None,
        opening_question: str | None = None,
    ) -> Consultation:
        if self._help_requested.detect(MessageContext(role="user", text=question)):
            return Consultation(agent_name, PERSON_ASKED, answered=True)
        chat = small_talk(question)
        if chat is not None:
            return Consultation(agent_name, chat, answered=True)
        agent = agent_name or base.route(opening_question or question)
        answer = base.answer(agent, question)
        return Consultation(
            answer.agent or agent,
            answer.text,
            answered=answer.answered,
            matched_question=answer.question,
            score=answer.score,
        )

    def forget(self, folder: str) -> None:
        """Drop the folder's cached index (its files were just written)."""
        self._cache.forget(folder)
