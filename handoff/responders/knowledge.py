"""The built-in AI: answers from the service's knowledge folder, through specialist agents."""

from __future__ import annotations

import asyncio
import re
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


class KnowledgeResponder:
    def __init__(self, cache: KnowledgeCache) -> None:
        self._cache = cache
        self._help_requested = HelpRequested()

    async def reply(self, request: ReplyRequest) -> Reply | None:
        folder = request.service.knowledge_dir
        if not folder:
            return Reply(DONT_KNOW, answered=False)
        base = await self._cache.get(folder)
        conversation = request.conversation
        if self._help_requested.detect(MessageContext(role="user", text=request.question)):
            return Reply(PERSON_ASKED, answered=True, agent=conversation.agent_name)
        chat = small_talk(request.question)
        if chat is not None:
            return Reply(chat, answered=True, agent=conversation.agent_name)
        agent = conversation.agent_name or base.route(conversation.opening_question or request.question)
        answer = base.answer(agent, request.question)
        return Reply(answer.text, answered=answer.answered, agent=answer.agent or agent)
