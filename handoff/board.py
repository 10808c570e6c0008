"""What the console shows: the active cards and the stats bar, always computed from the database."""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select

from handoff import records
from handoff.views import ConversationView, Stats
from models import AttentionFlag, Conversation, Database, Service


class Board:
    """Read-only views of the live conversations."""

    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def stats(self) -> Stats:
        """Active Conversations, Needs Attention and Paused (Human), counted in one query."""
        has_open_flag = exists().where(
            and_(AttentionFlag.conversation_id == Conversation.id, AttentionFlag.closed_at.is_(None))
        )
        query = select(
            func.count(),
            func.count().filter(has_open_flag, Conversation.claimed_by_id.is_(None)),
            func.count().filter(Conversation.status == "paused"),
        ).where(Conversation.ended_at.is_(None))
        async with self._db.read() as session:
            active, attention, paused = (await session.execute(query)).one()
        return Stats(active=active, attention=attention, paused=paused)

    async def stats_by_service(self) -> dict[str, Stats]:
        """The same three counters for each service with live conversations, by its slug."""
        has_open_flag = exists().where(
            and_(AttentionFlag.conversation_id == Conversation.id, AttentionFlag.closed_at.is_(None))
        )
        query = (
            select(
                Service.slug,
                func.count(),
                func.count().filter(has_open_flag, Conversation.claimed_by_id.is_(None)),
                func.count().filter(Conversation.status == "paused"),
            )
            .join(Service, Service.id == Conversation.service_id)
            .where(Conversation.ended_at.is_(None))
            .group_by(Service.slug)
        )
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        return {slug: Stats(active=a, attention=n, paused=p) for slug, a, n, p in rows}

    async def active_cards(self, service_slug: str | None = None) -> list[ConversationView]:
        """Every active conversation's card: attention first, then the most recent activity."""
        async with self._db.read() as session:
            cards = await records.load_active_cards(session, service_slug)
        cards.sort(key=lambda card: (not card.needs_attention, -card.last_activity_at.timestamp()))
        return cards
