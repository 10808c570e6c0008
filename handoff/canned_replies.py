"""Canned replies: each service's prepared answers, kept by its admins and picked by agents in the reply box
by typing "/" and the shortcut. `{customer_name}` and `{agent_name}` are filled in when one is picked."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import records
from handoff.accounts import acting_admin
from handoff.bus import EventBus
from handoff.errors import Conflict, Invalid, NotFound
from handoff.events import CannedRepliesChanged
from handoff.views import AgentRef, CannedReplyView
from models import CannedReply, Database, Service

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
PLACEHOLDERS = ("customer_name", "agent_name")
_PLACEHOLDER = re.compile(r"\{(customer_name|agent_name)\}")
CUSTOMER_FALLBACK = "there"  # "Hi {customer_name}" reads "Hi there" when the customer gave no name


def fill(text: str, *, customer_name: str | None, agent_name: str) -> str:
    """The reply with its placeholders filled in; any other braces are left as they are."""
    values = {"customer_name": customer_name or CUSTOMER_FALLBACK, "agent_name": agent_name}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def _view(reply: CannedReply, slug: str) -> CannedReplyView:
    return CannedReplyView(id=reply.id, service_slug=slug, shortcut=reply.shortcut, text=reply.text)


class CannedReplies:
    def __init__(self, *, db: Database, bus: EventBus, max_text_chars: int = 4000) -> None:
        self._db = db
        self._bus = bus
        self._max_text_chars = max_text_chars

    async def of(self, service_slug: str) -> list[CannedReplyView]:
        """The service's canned replies, by shortcut. Every agent may read them."""
        async with self._db.read() as session:
            rows = await session.scalars(
                select(CannedReply)
                .join(Service, Service.id == CannedReply.service_id)
                .where(Service.slug == service_slug)
                .order_by(CannedReply.shortcut)
            )
            return [_view(reply, service_slug) for reply in rows]

    async def save(
        self,
        *,
        service_slug: str,
        shortcut: str,
        text: str,
        agent: AgentRef | None,
        reply_id: int | None = None,
    ) -> CannedReplyView:
        """Add a canned reply (`reply_id` None) or change one. Admins only."""
        shortcut = shortcut.strip().lstrip("/").lower()
        if not SHORTCUT.match(shortcut):
            raise Invalid(
                "a shortcut is lowercase letters, digits, dashes and underscores, at most 40",
                field="shortcut",
            )
        try:
            records.check_text(text, self._max_text_chars)
        except Invalid as error:
            raise Invalid(str(error).replace("text", "the reply", 1), field="text") from None
        try:
            async with self._db.write() as session:
                acting = await acting_admin(session, agent)
                service = await self._service(session, service_slug)
                if reply_id is None:
                    reply = CannedReply(service_id=service.id, created_at=records.utcnow())
                    session.add(reply)
                else:
                    found = await session.get(CannedReply, reply_id)
                    if found is None or found.service_id != service.id:
                        raise NotFound("no such canned reply")
                    reply = found
                reply.shortcut, reply.text = shortcut, text
                await session.flush()
                records.audit(
                    session,
                    action="canned_reply_saved",
                    account_id=acting.id if acting else None,
                    service_id=service.id,
                    reply=reply.id,
                    shortcut=shortcut,
                )
                view = _view(reply, service_slug)
        except IntegrityError:
            raise Conflict(f"a canned reply /{shortcut} already exists", field="shortcut") from None
        await self._bus.publish(CannedRepliesChanged(service_slug))
        return view

    async def remove(self, *, service_slug: str, reply_id: int, agent: AgentRef | None) -> None:
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service = await self._service(session, service_slug)
            reply = await session.get(CannedReply, reply_id)
            if reply is None or reply.service_id != service.id:
                raise NotFound("no such canned reply")
            await session.delete(reply)
            records.audit(
                session,
                action="canned_reply_removed",
                account_id=acting.id if acting else None,
                service_id=service.id,
                shortcut=reply.shortcut,
            )
        await self._bus.publish(CannedRepliesChanged(service_slug))

    @staticmethod
    async def _service(session: AsyncSession, slug: str) -> Service:
        service = await session.scalar(select(Service).where(Service.slug == slug))
        if service is None:
            raise NotFound(f"no service {slug!r}")
        return service
