"""The customer's and the AI's side of a conversation: start, messages, ratings, human requests, end."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from detection import Detector, MessageContext
from detection.base import Role as DetectedRole
from handoff import outbox, records
from handoff.batching import GroupCommit, Pending
from handoff.bus import EventBus
from handoff.errors import AISilenced, Conflict, Invalid, NotFound, Unauthorized
from handoff.events import (
    ConversationEnded,
    ConversationStarted,
    ConversationUpdated,
    Event,
    FlagOpened,
    MessageAdded,
    MessageRated,
)
from handoff.views import ConversationView, FlagKind, MessageView, Role
from models import AttentionFlag, Conversation, Database, Message, Service

NON_ANSWER_REASON = "The AI could not answer"
TOKEN_CACHE_SIZE = 50_000
TOKEN_NEEDED = "a valid conversation token is needed (Authorization: Bearer <token>)"
ENDED = "this conversation has ended"


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


@dataclass(frozen=True, slots=True)
class _CustomerMessage:
    conversation_id: str
    text: str
    client_message_id: str | None
    token_hash: str | None = None  # the caller's token, to be proven in the transaction (not known here yet)


@dataclass(slots=True)
class _Step:
    """One customer message within a batch: what happened to it, and what it changed."""

    item: _CustomerMessage
    outcome: Exception | None = None
    duplicate_of: Message | None = None
    message: Message | None = None
    flags: list[AttentionFlag] = field(default_factory=list)
    before: ConversationView | None = None
    after: ConversationView | None = None
    flags_before: list[AttentionFlag] = field(default_factory=list)
    flags_after: list[AttentionFlag] = field(default_factory=list)

    def result(self) -> tuple[AddedMessage | Exception, list[Event]]:
        """After the flush (every row has its id): the outcome and the events to publish."""
        if self.outcome is not None:
            return self.outcome, []
        if self.duplicate_of is not None:
            return AddedMessage(records.message_view(self.duplicate_of), created=False), []
        assert self.message is not None and self.before is not None and self.after is not None
        before = replace(self.before, open_flags=tuple(map(records.flag_view, self.flags_before)))
        after = replace(self.after, open_flags=tuple(map(records.flag_view, self.flags_after)))
        view = records.message_view(self.message)
        return AddedMessage(view, created=True), message_events(view, before, after, self.flags)


def message_events(
    message: MessageView, before: ConversationView, after: ConversationView, flags: Sequence[AttentionFlag]
) -> list[Event]:
    """What a new message announces: itself, the card's change, and each flag it opened."""
    events: list[Event] = [MessageAdded(message, after), ConversationUpdated(before, after)]
    return events + [FlagOpened(records.flag_view(flag), after) for flag in flags]


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
        self._customer_messages = GroupCommit(self._write_customer_messages)

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
            service = await session.scalar(
                select(Service).where(Service.slug == service_slug, Service.archived_at.is_(None))
            )
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
                recent_customer_texts=[],
            )
            session.add(conversation)
            locked = records.Locked(conversation, service, holder_name=None, open_flags=[])
            message = None
            flags: list[AttentionFlag] = []
            if text is not None:
                message = records.add_message(session, locked, role="user", text=text)
                flags = self._detect(session, locked, message, previous=())
            await session.flush()
            first = records.message_view(message) if message is not None else None
            card = locked.card()
            events += [ConversationStarted(card), ConversationUpdated(None, card)]
            if first is not None:
                events.append(MessageAdded(first, card))
                events += [FlagOpened(records.flag_view(flag), card) for flag in flags]
            await outbox.stage_async(session, events)
        self._remember_token_hash(card.id, conversation.token_hash)  # for its customer's next message
        await self._publish(events)
        return StartedConversation(conversation=card, token=token, first_message=first)

    async def add_customer_message(
        self,
        *,
        conversation_id: str,
        text: str,
        client_message_id: str | None = None,
        token: str | None = None,
    ) -> AddedMessage:
        """Store a customer's message and run the detectors on it. A repeated client_message_id is a no-op.
        With `token` (the customer's own request), nothing is stored unless the token opens the conversation:
        Unauthorized otherwise.

        Messages arriving together share one transaction (group commit); each is acknowledged only once the
        transaction holding it has committed. A token whose hash this process has not seen yet is proven in
        that transaction, from the conversation's row it reads anyway: a read of its own before it cost the
        first message of each conversation a process had not heard from 1.4-1.7 ms (issue 17).
        """
        token_hash = None if token is None else hash_secret(token)
        if token_hash is not None and (known := self._known_token_hash(conversation_id)) is not None:
            if not hmac.compare_digest(known, token_hash):
                raise Unauthorized(TOKEN_NEEDED)
            token_hash = None  # proven
        self._check_text(text)
        try:
            added = await self._customer_messages.submit(
                _CustomerMessage(conversation_id, text, client_message_id, token_hash)
            )
        except IntegrityError:  # a concurrent duplicate (another process) won the unique constraint
            existing = await self._find_by_client_id(conversation_id, client_message_id)
            if existing is None:
                raise
            added = AddedMessage(existing, created=False)
        if token_hash is not None:
            self._remember_token_hash(conversation_id, token_hash)  # it opened the conversation
        return added

    async def _write_customer_messages(
        self, batch: list[Pending[_CustomerMessage, AddedMessage]]
    ) -> Awaitable[None]:
        """One transaction for the batch; if it fails as a whole, each message is tried on its own, so one
        bad message never fails the others.

        The events go out as soon as the transaction is visible (and those of any write committed before
        it have gone out): consoles show a message without waiting for the disk. The senders are answered
        by the returned acknowledgement, once it is on disk.
        """
        answers: list[tuple[Pending[_CustomerMessage, AddedMessage], AddedMessage | Exception]] = []
        try:
            stored = await self._store_customer_messages([pending.item for pending in batch])
        except Exception:
            if len(batch) == 1:
                raise
            for pending in batch:
                try:
                    [(outcome, events)] = await self._store_customer_messages([pending.item])
                except Exception as error:
                    pending.resolve(error)
                else:
                    await self._publish(events)
                    answers.append((pending, outcome))
        else:
            for pending, (outcome, events) in zip(batch, stored, strict=True):
                await self._publish(events)
                answers.append((pending, outcome))
        return self._answer_when_durable(answers)

    async def _answer_when_durable(
        self, answers: list[tuple[Pending[_CustomerMessage, AddedMessage], AddedMessage | Exception]]
    ) -> None:
        await self._db.flushed()
        for pending, outcome in answers:
            pending.resolve(outcome)

    async def _store_customer_messages(
        self, items: list[_CustomerMessage]
    ) -> list[tuple[AddedMessage | Exception, list[Event]]]:
        """Write customer messages in one transaction; per message, its outcome and the events to publish.

        The transaction is one plain function (`_store_in_transaction`), run whole on SQLite's writer thread:
        this is the path every customer message takes, and an async block would cross to the database's
        thread and back for each of its statements.
        """
        return await self._db.run_visible_write(self._store_in_transaction, items)

    def _store_in_transaction(
        self, session: Session, items: list[_CustomerMessage]
    ) -> list[tuple[AddedMessage | Exception, list[Event]]]:
        """The messages are taken in order: the detectors on each see the ones before it, and its before/after
        cards show what it changed. Everything is written by one flush (one INSERT per table) and the caller's
        commit. Plain code on the writer thread: it reads and changes nothing but the session and its rows."""
        steps: list[_Step] = []
        ids = list(dict.fromkeys(item.conversation_id for item in items))
        locked = records.lock_conversations(session, ids)
        known = self._messages_by_client_id(session, items)
        self._recall_customer_texts(session, locked)
        for item in items:
            step = _Step(item)
            steps.append(step)
            target = locked.get(item.conversation_id)
            key = (item.conversation_id, item.client_message_id)
            if item.token_hash is not None and (
                target is None or not hmac.compare_digest(target.conversation.token_hash, item.token_hash)
            ):
                step.outcome = Unauthorized(TOKEN_NEEDED)  # an unknown conversation too, as verify_token says
            elif target is None:
                step.outcome = NotFound("no such conversation")
            elif item.client_message_id is not None and key in known:
                step.duplicate_of = known[key]
            elif target.conversation.ended_at is not None:
                step.outcome = Conflict(ENDED)
            else:
                message = self._add_customer_step(session, target, step)
                if item.client_message_id is not None:
                    known[key] = message
        if any(step.message is not None for step in steps):
            session.flush()
        results = [step.result() for step in steps]
        outbox.stage(session, [event for _, events in results for event in events])
        return results

    def _add_customer_step(self, session: Session, target: records.Locked, step: _Step) -> Message:
        step.before, step.flags_before = target.card(), list(target.open_flags)
        previous = tuple(target.conversation.recent_customer_texts or ())
        message = step.message = records.add_message(
            session, target, role="user", text=step.item.text, client_message_id=step.item.client_message_id
        )
        if target.conversation.opening_question is None:
            target.conversation.opening_question = message.text
        step.flags = self._detect(session, target, message, previous)
        step.after, step.flags_after = target.card(), list(target.open_flags)
        return message

    @staticmethod
    def _recall_customer_texts(session: Session, locked: dict[str, records.Locked]) -> None:
        """Conversations from before the row kept its last customer texts get them from their messages."""
        unknown = [cid for cid, lk in locked.items() if lk.conversation.recent_customer_texts is None]
        if unknown:
            found = records.recent_texts(session, unknown, role="user", limit=records.DETECTOR_HISTORY)
            for cid in unknown:
                locked[cid].conversation.recent_customer_texts = found[cid]

    @staticmethod
    def _messages_by_client_id(
        session: Session, items: list[_CustomerMessage]
    ) -> dict[tuple[str, str | None], Message]:
        """Messages already stored under the batch's client_message_ids."""
        wanted = {(item.conversation_id, item.client_message_id) for item in items if item.client_message_id}
        if not wanted:
            return {}
        found = session.scalars(
            select(Message).where(
                Message.conversation_id.in_({cid for cid, _ in wanted}),
                Message.client_message_id.in_({mid for _, mid in wanted}),
            )
        )
        return {
            (m.conversation_id, m.client_message_id): m
            for m in found
            if (m.conversation_id, m.client_message_id) in wanted
        }

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
            previous = await self._previous_texts(session, locked, role="ai")
            message = records.add_message(session, locked, role="ai", text=text, answered=answered)
            flags = self._detect(session, locked, message, previous)
            if not answered:
                flag = records.add_flag(
                    session, locked, kind="non_answer", reason=f"{NON_ANSWER_REASON}: {text}", message=message
                )
                flags += [flag] if flag else []
            await session.flush()
            after = locked.card()
            view = records.message_view(message)
            events = message_events(view, before, after, flags)
            await outbox.stage_async(session, events)
        await self._publish(events)
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
            opens = value == "down" and locked.conversation.ended_at is None
            if opens and records.raises(locked.service, "thumbs_down"):
                flag = records.add_flag(
                    session,
                    locked,
                    kind="thumbs_down",
                    reason=f"The customer rated this answer down: {message.text}",
                    message=message,
                )
            await session.flush()
            after = locked.card()
            view = records.message_view(message)
            events: list[Event] = [MessageRated(view)]
            if flag is not None:
                events += [ConversationUpdated(before, after), FlagOpened(records.flag_view(flag), after)]
            await outbox.stage_async(session, events)
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
            flag = records.add_flag(
                session, locked, kind="help_requested", reason="The customer asked to talk to a human"
            )
            await session.flush()
            after = locked.card()
            events = []
            if flag is not None:
                events = [ConversationUpdated(before, after), FlagOpened(records.flag_view(flag), after)]
                await outbox.stage_async(session, events)
        await self._publish(events)
        return after

    async def identify(
        self, *, conversation_id: str, name: str | None, external_id: str | None
    ) -> ConversationView:
        """Name the customer of an open conversation (the chat widget's `Handoff.identify`, checked by
        `Widget.identity`); what is not given stays as it was."""
        async with self._db.write() as session:
            locked = await records.lock_conversation(session, conversation_id)
            self._check_open(locked)
            before = locked.card()
            conversation = locked.conversation
            conversation.customer_name = name or conversation.customer_name
            conversation.customer_external_id = external_id or conversation.customer_external_id
            after = locked.card()
        if after != before:
            await self._publish([ConversationUpdated(before, after)])
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
            events = [ConversationEnded(after), ConversationUpdated(before, after)]
            await outbox.stage_async(session, events)
        await self._publish(events)
        return after

    # -- queries -----------------------------------------------------------------------------------------

    async def verify_token(self, conversation_id: str, token: str) -> bool:
        """True when `token` opens this conversation (constant-time comparison)."""
        stored = self._known_token_hash(conversation_id)
        if stored is None:
            async with self._db.read() as session:
                stored = await session.scalar(
                    select(Conversation.token_hash).where(Conversation.id == conversation_id)
                )
            if stored is None:
                return False
            self._remember_token_hash(conversation_id, stored)
        return hmac.compare_digest(stored, hash_secret(token))

    def _known_token_hash(self, conversation_id: str) -> str | None:
        stored = self._token_hashes.get(conversation_id)
        if stored is not None:
            self._token_hashes.move_to_end(conversation_id)
        return stored

    def _remember_token_hash(self, conversation_id: str, token_hash: str) -> None:
        """A token never changes: its hash is kept for the most recently used TOKEN_CACHE_SIZE."""
        self._token_hashes[conversation_id] = token_hash
        self._token_hashes.move_to_end(conversation_id)
        if len(self._token_hashes) > TOKEN_CACHE_SIZE:
            self._token_hashes.popitem(last=False)

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
            raise Conflict(ENDED)

    async def _previous_texts(
        self, session: AsyncSession, locked: records.Locked, *, role: Role
    ) -> tuple[str, ...]:
        """What the detectors on a new message of `role` look back on (read before the message is added)."""
        if not self._detectors_for(role):
            return ()
        cid = locked.conversation.id
        found = await session.run_sync(records.recent_texts, [cid], role=role, limit=records.DETECTOR_HISTORY)
        return tuple(found[cid])

    def _detectors_for(self, role: Role) -> list[Detector]:
        return [d for d in self._detectors if role in d.roles]

    def _detect(
        self, session: records.AnySession, locked: records.Locked, message: Message, previous: tuple[str, ...]
    ) -> list[AttentionFlag]:
        """Run the detectors on `message`; the flags they open are added to the session (not yet written)."""
        context = MessageContext(
            role=cast(DetectedRole, message.role),
            text=message.text,
            previous=previous,
            service=locked.service.slug,
            negative_threshold=locked.service.negative_threshold,
            phrases=tuple(locked.service.help_phrases or ()),
        )
        flags = []
        for detector in self._detectors_for(cast(Role, message.role)):
            if not records.raises(locked.service, detector.kind):
                continue
            finding = detector.detect(context)
            if finding is None:
                continue
            flag = records.add_flag(
                session,
                locked,
                kind=cast(FlagKind, finding.kind),
                reason=finding.reason,
                score=finding.score,
                message=message,
                rule=finding.rule or None,
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

    async def _publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await self._bus.publish(event)
