"""Services: creation, operating modes (one or all at once) and their bot API keys."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import records
from handoff.bus import EventBus
from handoff.conversations import hash_secret
from handoff.errors import Conflict, Forbidden, Invalid, NotFound
from handoff.events import (
    AIResumed,
    ConversationUpdated,
    Event,
    MessageAdded,
    ServiceAdded,
    ServiceModeChanged,
)
from handoff.handoffs import RESUMED_TEXT
from handoff.responders.base import ServiceConfig
from handoff.views import MODES, AgentRef, ServiceView
from models import ApiKey, Conversation, Database, Service

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class Services:
    """Each method is one transaction, with events after commit."""

    def __init__(self, *, db: Database, bus: EventBus) -> None:
        self._db = db
        self._bus = bus

    async def add(
        self,
        *,
        slug: str,
        name: str,
        mode: str = "human_supported",
        knowledge_dir: str | None = None,
        negative_threshold: float | None = None,
        bot_url: str | None = None,
    ) -> ServiceView:
        if not SLUG.match(slug):
            raise Invalid("a slug is lowercase letters, digits and dashes, at most 64 characters")
        if not name.strip():
            raise Invalid("a service needs a name")
        _check_mode(mode)
        if bot_url is not None and not bot_url.startswith(("http://", "https://")):
            raise Invalid("a bot URL starts with http:// or https://")
        if negative_threshold is not None and not -1.0 <= negative_threshold <= 0.0:
            raise Invalid("a Negative Feedback threshold is between -1 and 0")
        try:
            async with self._db.write() as session:
                service = Service(
                    slug=slug,
                    name=name.strip(),
                    mode=mode,
                    knowledge_dir=knowledge_dir,
                    negative_threshold=negative_threshold,
                    bot_url=bot_url,
                    bot_secret=secrets.token_urlsafe(32) if bot_url else None,
                    created_at=records.utcnow(),
                )
                session.add(service)
                await session.flush()
                view = records.service_view(service)
        except IntegrityError:
            raise Conflict(f"a service {slug!r} already exists") from None
        await self._bus.publish(ServiceAdded(view))
        return view

    async def all(self) -> list[ServiceView]:
        async with self._db.read() as session:
            return [
                records.service_view(s) for s in await session.scalars(select(Service).order_by(Service.id))
            ]

    async def get(self, slug: str) -> ServiceView:
        async with self._db.read() as session:
            service = await session.scalar(select(Service).where(Service.slug == slug))
            if service is None:
                raise NotFound(f"no service {slug!r}")
            return records.service_view(service)

    async def config(self, slug: str) -> ServiceConfig:
        """How the service's AI answers: its knowledge folder, or its bot's URL and signing secret."""
        async with self._db.read() as session:
            service = await session.scalar(select(Service).where(Service.slug == slug))
            if service is None:
                raise NotFound(f"no service {slug!r}")
            return ServiceConfig(
                slug=service.slug,
                name=service.name,
                knowledge_dir=service.knowledge_dir,
                bot_url=service.bot_url,
                bot_secret=service.bot_secret,
            )

    async def held_count(self, slugs: Sequence[str]) -> int:
        """How many active conversations of these services a human holds or has paused (for confirmation)."""
        async with self._db.read() as session:
            return (
                await session.scalar(
                    select(func.count())
                    .select_from(Conversation)
                    .join(Service, Service.id == Conversation.service_id)
                    .where(
                        Service.slug.in_(slugs),
                        Conversation.ended_at.is_(None),
                        Conversation.status == "paused",
                    )
                )
                or 0
            )

    async def set_mode(self, *, slug: str, mode: str, agent: AgentRef | None) -> ServiceView:
        """Change one service's mode. Only admins (or the server itself, agent=None) may.

        Switching to AI Only hands the service's paused conversations back to the AI, telling each customer.
        """
        return (await self._set_modes(mode=mode, agent=agent, slugs=[slug]))[0]

    async def set_all_modes(self, *, mode: str, agent: AgentRef | None) -> list[ServiceView]:
        """Set all services to one mode at once."""
        return await self._set_modes(mode=mode, agent=agent, slugs=None)

    async def _set_modes(
        self, *, mode: str, agent: AgentRef | None, slugs: list[str] | None
    ) -> list[ServiceView]:
        _check_mode(mode)
        if agent is not None and not agent.is_admin:
            raise Forbidden("only admins change service modes")
        events: list[Event] = []
        async with self._db.write() as session:
            query = select(Service).order_by(Service.id).with_for_update()
            if slugs is not None:
                query = query.where(Service.slug.in_(slugs))
            services = list(await session.scalars(query))
            if slugs is not None and not services:
                raise NotFound(f"no service {slugs[0]!r}")
            for service in services:
                if service.mode == mode:
                    continue
                previous = service.mode
                service.mode = mode
                if mode == "ai_only":
                    events += await _hand_back_to_ai(session, service, agent)
                records.audit(
                    session,
                    action="set_mode",
                    account_id=agent.id if agent else None,
                    service_id=service.id,
                    mode=mode,
                    previous=previous,
                )
                events.append(
                    ServiceModeChanged(
                        records.service_view(service),
                        previous,  # type: ignore[arg-type]
                        agent.id if agent else None,
                    )
                )
            views = [records.service_view(s) for s in services]
        for event in events:
            await self._bus.publish(event)
        return views

    async def new_api_key(self, *, slug: str) -> str:
        """A new key for the service's external bot. Only its hash is kept: show it once."""
        key = "hk_" + secrets.token_urlsafe(32)
        async with self._db.write() as session:
            service = await session.scalar(select(Service).where(Service.slug == slug))
            if service is None:
                raise NotFound(f"no service {slug!r}")
            session.add(
                ApiKey(
                    service_id=service.id,
                    key_hash=hash_secret(key),
                    prefix=key[:10],
                    created_at=records.utcnow(),
                )
            )
        return key

    async def service_for_key(self, key: str) -> ServiceView | None:
        async with self._db.read() as session:
            service = await session.scalar(
                select(Service)
                .join(ApiKey, ApiKey.service_id == Service.id)
                .where(ApiKey.key_hash == hash_secret(key), ApiKey.revoked_at.is_(None))
            )
            return records.service_view(service) if service else None


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise Invalid(f"a mode is one of {', '.join(MODES)}")


async def _hand_back_to_ai(session: AsyncSession, service: Service, agent: AgentRef | None) -> list[Event]:
    events: list[Event] = []
    paused = await session.scalars(
        select(Conversation.id).where(
            Conversation.service_id == service.id,
            Conversation.ended_at.is_(None),
            Conversation.status == "paused",
        )
    )
    for conversation_id in list(paused):
        locked = await records.lock_conversation(session, conversation_id)
        before = locked.card()
        locked.conversation.status = "ai_active"
        locked.claim(None)
        message = records.add_message(session, locked, role="system", text=RESUMED_TEXT)
        after = locked.card()
        events += [
            MessageAdded(records.message_view(message), after),
            AIResumed(after, agent.id if agent else None),
            ConversationUpdated(before, after),
        ]
    return events
