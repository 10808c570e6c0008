"""The customer's and the AI's side of a conversation: start, messages, ratings, human requests, end."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from detection import Detector, MessageContext
from detection.base import Role as DetectedRole
from handoff import records
from handoff.bus import EventBus
from handoff.errors import AISilenced, Conflict, Invalid, NotFound
from handoff.events import (
    ConversationEnded,
    ConversationStarted,
    ConversationUpdated,
    Event,
    FlagOpened,
    MessageAdded,
    MessageRated,
)
from handoff.views import ConversationView, FlagKind, MessageView
from models import AttentionFlag, Conversation, Database, Message, Service

NON_ANSWER_REASON = "The AI could not answer"
TOKEN_CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class Location:
    city: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class StartedConversation:
    conversation: ConversationView
    token: str
    first_message: MessageView | None


@dataclass(frozen=True, slots=True)
class AddedMessage:
    message: MessageView
    created: bool


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Conversations:
    """Transitions driven by the customer and the AI. Each is one transaction, with events after commit."""

    def __init__(
        self, *, db: Database, bus: EventBus, detectors: Sequence[Detector] = (), max_text_chars: int = 4000
    ) -> None:
        self._db = db
        self._bus = bus
        self._detectors = tuple(detectors)
        self._max_text_chars = max_text_chars
        self._token_hashes: OrderedDict[str, str] = OrderedDict()  # a token never changes: cache its hash

    # -- transitions -------------------------------------------------------------------------------------

    async def start(
        self,
        *,
        service_slug: str,
        text: str | None = None,
        customer_name: str | None = None,
        customer_external_id: str | None = None,
        location: Location | None = None,
        is_demo: bool = False,
    ) -> StartedConversation:
        """Open a conversation; `text`, if given, is its opening question and first message."""
        if text is not None:
            self._check_text(text)
        token = secrets.token_urlsafe(32)
        location = location or Location()
        events: list[Event] = []
        async with self._db.write() as session:
            service = await session.scalar(select(Service).where(Service.slug == service_slug))
            if service is None:
                raise NotFound(f"no service {service_slug!r}")
            now = records.utcnow()
            conversation = Conversation(
                id=uuid.uuid4().hex,
                service_id=service.id,
                token_hash=hash_secret(token),
                status="ai_active",
                opening_question=text,
                customer_name=customer_name,
                customer_external_id=customer_external_id,
                city=location.city,
                region=location.region,
                country=location.country,
                is_demo=is_demo,
                started_at=now,
                last_activity_at=now,
                message_count=0,
            )
            session.add(conversation)
            await session.flush()
            locked = records.Locked(conversation, service, holder_name=None, open_flags=[])
            first = None
            flags: list[AttentionFlag] = []
            if text is not None:
                message = await records.append_message(session, locked, role="user", text=text)
                first = records.message_view(message)
                flags = await self._run_detectors(session, locked, message)
            card = locked.card()
        events += [ConversationStarted(card), ConversationUpdated(None, card)]
        if first is not None:
            events.append(MessageAdded(first, card))
            events += [FlagOpened(records.flag_view(flag), card) for flag in flags]
        await self._publish(events)
        return StartedConversation(conversation=card, token=token, first_message=first)

    async def add_customer_message(
        self, *, conversation_id: str, text: str, client_message_id: str | None = None
    ) -> AddedMessage:
        """Store a customer's message and run the detectors on it. A repeated client_message_id is a no-op."""
        self._check_text(text)
        try:
            return await self._add_customer_message(conversation_id, text, client_message_id)
        except IntegrityError:  # a concurrent duplicate won the unique constraint
            existing = await self._find_by_client_id(conversation_id, client_message_id)
            if existing is None:
                raise
            return AddedMessage(existing, created=False)

    async def _add_customer_message(
        self, conversation_id: str, text: str, client_message_id: str | None
    ) -> AddedMessage:
        async with self._db.write() as session:
            locked = await records.lock_conversation(session, conversation_id)
            if client_message_id is not None:
                existing = await session.scalar(
                    select(Message).where(
                        Message.conversation_id == conversation_id,
                        Message.client_message_id == client_message_id,
                    )
                )
                if existing is not None:
                    return AddedMessage(records.message_view(existing), created=False)
            self._check_open(locked)
            before = locked.card()
            message = await records.append_message(
                session, locked, role="user", text=text, client_message_id=client_message_id
            )
            if locked.conversation.opening_question is None:
                locked.conversation.opening_question = text
            flags = await self._run_detectors(session, locked, message)
            after = locked.card()
        view = records.message_view(message)
        await self._publish_message(view, before, after, flags)
        return AddedMessage(view, created=True)

    async def add_ai_message(
        self, *, conversation_id: str, text: str, answered: bool = True, agent_name: str | None = None
    ) -> MessageView:
        """Store the AI's reply, or raise AISilenced when the AI may not speak now (the reply is dropped).

        The check and the insert share one locked transaction, so a reply produced before a Take Over
        committed is refused once the Take Over has committed.
        """
        self._check_text(text)
        async with self._db.write() as session:
            locked = await records.lock_conversation(session, conversation_id)
            self._check_open(locked)
            if locked.conversation.status == "paused":
                raise AISilenced("a human agent has taken over this conversation")
            if locked.service.mode == "human_only":
                raise AISilenced("this service is in Human Only mode")
            before = locked.card()
            if agent_name and locked.conversation.agent_name is None:
                locked.conversation.agent_name = agent_name
            message = await records.append_message(session, locked, role="ai", text=text, answered=answered)
            flags = await self._run_detectors(session, locked, message)
            if not answered:
                flag = await records.open_flag(
                    session,
                    locked,
                    kind="non_answer",
                    reason=f"{NON_ANSWER_REASON}: {text}",
                    message_id=message.id,
                )
                flags += [flag] if flag else []
            after = locked.card()
        view = records.message_view(message)
        await self._publish_message(view, before, after, flags)
        return view

    async def rate(self, *, conversation_id: str, message_id: int, value: str) -> MessageView:
        """Rate an AI message "up" or "down"; "down" raises Thumbs Down."""
        if value not in ("up", "down"):
            raise Invalid('a rating is "up" or "down"')
        async with self._db.write() as session:
            locked = await records.lock_conversation(session, conversation_id)
            message = await session.get(Message, message_id)
            if message is None or message.conversation_id != conversation_id:
                raise NotFound("no such message in this conversation")
            if message.role != "ai":
                raise Invalid("only AI messages can be rated")
            before = locked.card()
            message.rating = value
            flag = None
            if value == "down" and locked.conversation.ended_at is None:
                flag = await records.open_flag(
                    session,
                    locked,
                    kind="thumbs_down",
                    reason=f"The customer rated this answer down: {message.text}",
                    message_id=message.id,
                )
            after = locked.card()
        view = records.message_view(message)
        events: list[Event] = [MessageRated(view)]
        if flag is not None:
            events += [ConversationUpdated(before, after), FlagOpened(records.flag_view(flag), after)]
        await self._publish(events)
        return view

    async def request_human(self, *, conversation_id: str) -> ConversationView:
        """The customer asked for a human (the Talk to a human button): raises Help Requested."""
        async with self._db.write() as session:
            locked = await records.lock_conversation(session, conversation_id)
            self._check_open(locked)
            if locked.service.mode == "ai_only":
                raise Conflict("human handoff is not available: this service is in AI Only mode")
            before = locked.card()
            flag = await records.open_flag(
                session, locked, kind="help_requested", reason="The customer asked to talk to a human"
            )
            after = locked.card()
        if flag is not None:
            await self._publish(
                [ConversationUpdated(before, after), FlagOpened(records.flag_view(flag), after)]
            )
        return after

    async def end(self, *, conversation_id: str) -> ConversationView:
        """The conversation leaves the active list. Ending twice is harmless."""
        async with self._db.write() as session:
            locked = await records.lock_conversation(session, conversation_id)
            if locked.conversation.ended_at is not None:
                return locked.card()
            before = locked.card()
            locked.conversation.ended_at = records.utcnow()
            after = locked.card()
        await self._publish([ConversationEnded(after), ConversationUpdated(before, after)])
        return after

    # -- queries -----------------------------------------------------------------------------------------

    async def verify_token(self, conversation_id: str, token: str) -> bool:
        """True when `token` opens this conversation (constant-time comparison)."""
        stored = self._token_hashes.get(conversation_id)
        if stored is None:
            async with self._db.read() as session:
                stored = await session.scalar(
                    select(Conversation.token_hash).where(Conversation.id == conversation_id)
                )
            if stored is None:
                return False
            self._token_hashes[conversation_id] = stored
            if len(self._token_hashes) > TOKEN_CACHE_SIZE:
                self._token_hashes.popitem(last=False)
        else:
            self._token_hashes.move_to_end(conversation_id)
        return hmac.compare_digest(stored, hash_secret(token))

    async def get(self, conversation_id: str) -> ConversationView:
        async with self._db.read() as session:
            return await records.load_card(session, conversation_id)

    async def messages(self, conversation_id: str, *, after: int | None = None) -> list[MessageView]:
        """The conversation's messages in order, optionally only those after a message id."""
        async with self._db.read() as session:
            if await session.get(Conversation, conversation_id) is None:
                raise NotFound("no such conversation")
            query = select(Message).where(Message.conversation_id == conversation_id)
            if after is not None:
                query = query.where(Message.id > after)
            return [records.message_view(m) for m in await session.scalars(query.order_by(Message.id))]

    # -- helpers -----------------------------------------------------------------------------------------

    def _check_text(self, text: str) -> None:
        records.check_text(text, self._max_text_chars)

    @staticmethod
    def _check_open(locked: records.Locked) -> None:
        if locked.conversation.ended_at is not None:
            raise Conflict("this conversation has ended")

    async def _run_detectors(
        self, session: AsyncSession, locked: records.Locked, message: Message
    ) -> list[AttentionFlag]:
        detectors = [d for d in self._detectors if message.role in d.roles]
        if not detectors:
            return []
        previous = await session.scalars(
            select(Message.text)
            .where(
                Message.conversation_id == message.conversation_id,
                Message.role == message.role,
                Message.id < message.id,
            )
            .order_by(Message.id.desc())
            .limit(3)
        )
        context = MessageContext(
            role=cast(DetectedRole, message.role),
            text=message.text,
            previous=tuple(reversed(list(previous))),
            service=locked.service.slug,
            negative_threshold=locked.service.negative_threshold,
        )
        flags = []
        for detector in detectors:
            finding = detector.detect(context)
            if finding is None:
                continue
            flag = await records.open_flag(
                session,
                locked,
                kind=cast(FlagKind, finding.kind),
                reason=finding.reason,
                score=finding.score,
                message_id=message.id,
            )
            if flag is not None:
                flags.append(flag)
        return flags

    async def _find_by_client_id(
        self, conversation_id: str, client_message_id: str | None
    ) -> MessageView | None:
        async with self._db.read() as session:
            message = await session.scalar(
                select(Message).where(
                    Message.conversation_id == conversation_id,
                    Message.client_message_id == client_message_id,
                )
            )
        return records.message_view(message) if message else None

    async def _publish_message(
        self,
        message: MessageView,
        before: ConversationView,
        after: ConversationView,
        flags: Sequence[AttentionFlag],
    ) -> None:
        events: list[Event] = [MessageAdded(message, after), ConversationUpdated(before, after)]
        events += [FlagOpened(records.flag_view(flag), after) for flag in flags]
        await self._publish(events)

    async def _publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await self._bus.publish(event)
