"""The knowledge page's side of the core: a service's specialist agents read and saved, "Try a question",
and the questions the AI could not answer, grouped. Admins only, checked in each call.

Saving goes through `knowledge_files` (atomic, refused over a hand edit made since the page read the
folder); the live AI reads the same folder, so a saved answer is what the next customer gets.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import aliased

from handoff import knowledge_files, records
from handoff.accounts import acting_admin
from handoff.bus import EventBus
from handoff.errors import Invalid, NotFound
from handoff.events import KnowledgeSaved
from handoff.knowledge import content_words
from handoff.knowledge_files import Folder, SpecialistAgent
from handoff.responders.knowledge import Consultation, KnowledgeResponder
from handoff.views import AgentRef
from models import Conversation, Database, Message, Service

UNANSWERED_READ = 500  # the newest unanswered questions read, before grouping
SAME_QUESTION = 0.5  # share of content words two questions have in common to be grouped (Jaccard)
EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class UnansweredQuestion:
    """Customers' questions that raised Non-Answer, similar ones together, the newest first."""

    question: str  # the newest wording
    asked: int
    last_asked_at: datetime
    conversation_id: str
    other_wordings: tuple[str, ...] = ()


class KnowledgeAdmin:
    def __init__(self, *, db: Database, bus: EventBus, responder: KnowledgeResponder) -> None:
        self._db = db
        self._bus = bus
        self._responder = responder
        self._saving = asyncio.Lock()  # one save at a time in this process: check and write together

    async def open(self, *, slug: str, agent: AgentRef | None) -> Folder:
        """The service's specialist agents as its folder holds them now, with that version."""
        folder = await self._folder(slug, agent)
        return await asyncio.to_thread(knowledge_files.read, folder)

    async def save(
        self, *, slug: str, agents: tuple[SpecialistAgent, ...], based_on: str, agent: AgentRef | None
    ) -> Folder:
        """Write the agents as the service's files. ChangedElsewhere if the folder is not at `based_on`."""
        folder = await self._folder(slug, agent)
        async with self._saving:
            before, saved = await asyncio.to_thread(knowledge_files.write, folder, agents, based_on=based_on)
        self._responder.forget(str(folder))
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service_id = await session.scalar(select(Service.id).where(Service.slug == slug))
            records.audit(
                session,
                action="knowledge_saved",
                account_id=acting.id if acting else None,
                service_id=service_id,
                before=_summary(before),
                after=_summary(saved),
            )
        await self._bus.publish(KnowledgeSaved(slug, agent.id if agent else None))
        return saved

    async def try_question(self, *, slug: str, question: str, agent: AgentRef | None) -> Consultation:
        """What the live AI would answer as a conversation's opening question, by the same code path."""
        if not question.strip():
            raise Invalid("type a question to try", field="question")
        folder = await self._folder(slug, agent)
        return await self._responder.consult(str(folder), question.strip())

    async def unanswered(self, *, slug: str, agent: AgentRef | None) -> list[UnansweredQuestion]:
        """The questions that raised Non-Answer and that the knowledge still does not answer, grouped."""
        folder = await self._folder(slug, agent)
        asked = aliased(Message)
        async with self._db.read() as session:
            question = (
                select(asked.text)
                .where(
                    asked.conversation_id == Message.conversation_id,
                    asked.role == "user",
                    asked.id < Message.id,
                )
                .order_by(asked.id.desc())
                .limit(1)
                .scalar_subquery()
            )
            rows = (
                await session.execute(
                    select(question, Message.created_at, Message.conversation_id)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .join(Service, Service.id == Conversation.service_id)
                    .where(Service.slug == slug, Message.role == "ai", Message.answered.is_(False))
                    .order_by(Message.id.desc())
                    .limit(UNANSWERED_READ)
                )
            ).all()
        groups = _grouped([(text, at, cid) for text, at, cid in rows if text])
        found = await self._responder.consult_all(str(folder), [group.question for group in groups])
        return [group for group, answer in zip(groups, found, strict=True) if not answer.answered]

    async def _folder(self, slug: str, agent: AgentRef | None) -> Path:
        async with self._db.read() as session:
            await acting_admin(session, agent)
            service = await session.scalar(select(Service).where(Service.slug == slug))
            if service is None:
                raise NotFound(f"no service {slug!r}")
            if not service.knowledge_dir:
                raise Invalid("this service has no knowledge folder: choose the built-in knowledge first")
            return Path(service.knowledge_dir)


def _grouped(rows: list[tuple[str, datetime, str]]) -> list[UnansweredQuestion]:
    """Newest first; a question joins the first group whose newest wording shares enough of its words."""
    groups: list[tuple[set[str], list[tuple[str, datetime, str]]]] = []
    for row in rows:
        words = content_words(row[0])
        for group_words, members in groups:
            union = words | group_words
            if union and len(words & group_words) / len(union) >= SAME_QUESTION:
                members.append(row)
                break
        else:
            groups.append((words, [row]))
    result = []
    for _words, members in groups:
        newest = members[0]
        wordings = list(dict.fromkeys(text for text, _, _ in members[1:] if text != newest[0]))
        result.append(
            UnansweredQuestion(
                question=newest[0],
                asked=len(members),
                last_asked_at=newest[1],
                conversation_id=newest[2],
                other_wordings=tuple(wordings[:EXAMPLES]),
            )
        )
    return result


def _summary(folder: Folder) -> dict[str, int]:
    return {agent.name: len(agent.entries) for agent in folder.agents}
