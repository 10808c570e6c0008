"""The agents' side: take over, reply, release, resume the AI, dismiss flags.

Take Over is one compare-and-set in the database: of any number of simultaneous attempts exactly one wins.
Only the agent holding a conversation can reply in it, release it or resume the AI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import outbox, records
from handoff.bus import EventBus
from handoff.errors import AlreadyClaimed, Conflict
from handoff.events import (
    AgentTyping,
    AIResumed,
    ConversationReleased,
    ConversationTakenOver,
    ConversationUpdated,
    Event,
    FlagsClosed,
    MessageAdded,
)
from handoff.false_alarms import NOT_NEEDED
from handoff.views import AgentRef, ConversationView, MessageView
from models import Account, AttentionFlag, Conversation, Database, Service


def joined_text(agent_name: str) -> str:
    return f"{agent_name} (a human agent) has joined the conversation."


TYPING_EVERY_SECONDS = 3.0  # "An agent is typing..." is told at most this often per conversation
RESUMED_TEXT = "You are chatting with our AI assistant again."
RELEASED_TEXT = "The agent has stepped away. Another member of our team will be with you shortly."


class Handoffs:
    """Transitions driven by console agents. Each is one transaction, with events after commit."""

    def __init__(self, *, db: Database, bus: EventBus, max_text_chars: int = 4000) -> None:
        self._db = db
        self._bus = bus
        self._max_text_chars = max_text_chars
        self._typing_told: dict[str, float] = {}  # conversation -> when its customer was last told

    async def take_over(self, *, conversation_id: str, agent: AgentRef) -> ConversationView:
        """Claim the conversation and pause the AI; the customer is told a human joined.

        Taking over a conversation you already hold changes nothing. Raises AlreadyClaimed with the
        holder's name when a colleague won.
        """
        async with self._db.write() as session:
            account = await records.active_account(session, agent)
            locked = await records.lock_conversation(session, conversation_id)
            before = locked.card()
            ai_only_services = select(Service.id).where(Service.mode == "ai_only")
            claimed = await session.execute(  # the compare-and-set: only an unclaimed, open conversation
                update(Conversation)
                .where(
                    Conversation.id == conversation_id,
                    Conversation.ended_at.is_(None),
                    Conversation.claimed_by_id.is_(None),
                    Conversation.service_id.not_in(ai_only_services),
                )
                .values(status="paused", claimed_by_id=account.id)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return _why_not_taken(await records.load_card(session, conversation_id), account)
            locked = await records.lock_conversation(session, conversation_id)
            joined = joined_text(account.display_name)
            message = records.add_message(session, locked, role="system", text=joined)
            closed = await records.close_open_flags(session, locked, by=account, how="acknowledged")
            records.audit(
                session,
                action="take_over",
                account_id=account.id,
                conversation_id=conversation_id,
                acknowledged_flags=closed,
            )
            after = locked.card()
            await session.flush()  # the message's id, for its event
            events: list[Event] = [
                MessageAdded(records.message_view(message), after),
                ConversationTakenOver(after, account.id, account.display_name),
                ConversationUpdated(before, after),
            ]
            if closed:
                events.append(FlagsClosed(conversation_id, tuple(closed), account.id, "acknowledged"))
            await outbox.stage_async(session, events)
        await self._publish(events)
        return after

    async def send(self, *, conversation_id: str, agent: AgentRef, text: str) -> MessageView:
        """The holding agent's reply to the customer."""
        records.check_text(text, self._max_text_chars)
        async with self._db.write() as session:
            account = await records.active_account(session, agent)
            locked = await self._held(session, conversation_id, account)
            before = locked.card()
            message = records.add_message(session, locked, role="human", text=text, author=account)
            await session.flush()  # the audit entry names the message by its id
            records.audit(
                session,
                action="send",
                account_id=account.id,
                conversation_id=conversation_id,
                message_id=message.id,
            )
            after = locked.card()
            view = records.message_view(message)
            events = [MessageAdded(view, after), ConversationUpdated(before, after)]
            await outbox.stage_async(session, events)
        self._typing_told.pop(conversation_id, None)  # typing the next reply tells the customer at once
        await self._publish(events)
        return view

    async def typing(self, *, conversation_id: str, agent: AgentRef) -> bool:
        """The holding agent is typing: tell the customer ("An agent is typing..."), at most every
        TYPING_EVERY_SECONDS per conversation. True when the customer was told now."""
        now = time.monotonic()
        if now - self._typing_told.get(conversation_id, -TYPING_EVERY_SECONDS) < TYPING_EVERY_SECONDS:
            return False
        async with self._db.read() as session:
            held = await session.scalar(
                select(Conversation.id).where(
                    Conversation.id == conversation_id,
                    Conversation.claimed_by_id == agent.id,
                    Conversation.ended_at.is_(None),
                )
            )
        if held is None:
            return False  # only the holder's typing reaches the customer
        self._typing_told = {c: t for c, t in self._typing_told.items() if now - t < TYPING_EVERY_SECONDS}
        self._typing_told[conversation_id] = now
        await self._bus.publish(AgentTyping(conversation_id, agent.display_name))
        return True

    async def release(self, *, conversation_id: str, agent: AgentRef) -> ConversationView:
        """Let go of the claim without resuming the AI: the conversation stays paused for a colleague."""
        async with self._db.write() as session:
            account = await records.active_account(session, agent)
            locked = await self._held(session, conversation_id, account)
            events = await _release(session, locked, account)
            await outbox.stage_async(session, events)
        await self._publish(events)
        return locked.card()

    async def resume_ai(self, *, conversation_id: str, agent: AgentRef) -> ConversationView:
        """Hand the conversation back to the AI, which answers from the next customer message on.

        The holder may do it; so may any agent when the conversation was released while paused.
        """
        async with self._db.write() as session:
            account = await records.active_account(session, agent)
            locked = await records.lock_conversation(session, conversation_id)
            if locked.conversation.ended_at is not None:
                raise Conflict("this conversation has ended")
            if locked.conversation.claimed_by_id not in (None, account.id):
                raise AlreadyClaimed(locked.holder_name or "another agent")
            if locked.conversation.status != "paused":
                raise Conflict("the AI is already active in this conversation")
            before = locked.card()
            locked.conversation.status = "ai_active"
            locked.claim(None)
            message = records.add_message(session, locked, role="system", text=RESUMED_TEXT)
            records.audit(session, action="resume_ai", account_id=account.id, conversation_id=conversation_id)
            after = locked.card()
            await session.flush()  # the message's id, for its event
            events = [
                MessageAdded(records.message_view(message), after),
                AIResumed(after, account.id),
                ConversationUpdated(before, after),
            ]
            await outbox.stage_async(session, events)
        await self._publish(events)
        return after

    async def dismiss_flags(self, *, conversation_id: str, agent: AgentRef) -> ConversationView:
        """Close the open flags without taking over (the agent judged no human is needed)."""
        return await self._close_flags(
            conversation_id,
            agent,
            how="dismissed",
            action="dismiss_flags",
            describe=lambda flags: {"flags": [flag.id for flag in flags]},
        )

    async def mark_not_needed(
        self, *, conversation_id: str, flag_id: int, agent: AgentRef
    ) -> ConversationView:
        """Close one detector's flag as a false alarm. The closed flag keeps its rule and its message, so
        `main.py detection export-false-alarms` can give it back as a labelled row."""
        return await self._close_flags(
            conversation_id,
            agent,
            how=NOT_NEEDED,
            action="flag_not_needed",
            describe=lambda flags: {"flag": flags[0].id, "kind": flags[0].kind},
            flag_id=flag_id,
        )

    async def _close_flags(
        self,
        conversation_id: str,
        agent: AgentRef,
        *,
        how: str,
        action: str,
        describe: Callable[[Sequence[AttentionFlag]], dict[str, Any]],
        flag_id: int | None = None,
    ) -> ConversationView:
        """Close the open flags (or only the detector's flag `flag_id`), audited, then tell every console."""
        async with self._db.write() as session:
            account = await records.active_account(session, agent)
            locked = await records.lock_conversation(session, conversation_id)
            chosen = list(locked.open_flags) if flag_id is None else [_detected_flag(locked, flag_id)]
            before = locked.card()
            closed = await records.close_open_flags(session, locked, by=account, how=how, flags=chosen)
            if closed:
                records.audit(
                    session,
                    action=action,
                    account_id=account.id,
                    conversation_id=conversation_id,
                    **describe(chosen),
                )
            after = locked.card()
        if closed:
            await self._publish(
                [
                    FlagsClosed(conversation_id, tuple(closed), account.id, how),
                    ConversationUpdated(before, after),
                ]
            )
        return after

    async def _held(self, session: AsyncSession, conversation_id: str, account: Account) -> records.Locked:
        locked = await records.lock_conversation(session, conversation_id)
        if locked.conversation.ended_at is not None:
            raise Conflict("this conversation has ended")
        if locked.conversation.claimed_by_id != account.id:
            if locked.conversation.claimed_by_id is None:
                raise Conflict("take over the conversation first")
            raise AlreadyClaimed(locked.holder_name or "another agent")
        return locked

    async def _publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await self._bus.publish(event)


async def _release(
    session: AsyncSession, locked: records.Locked, account: Account, *, because: str | None = None
) -> list[Event]:
    before = locked.card()
    locked.claim(None)
    message = records.add_message(session, locked, role="system", text=RELEASED_TEXT)
    await session.flush()  # the message's id, for its event
    records.audit(
        session,
        action="release",
        account_id=account.id,
        conversation_id=locked.conversation.id,
        because=because,
    )
    after = locked.card()
    return [
        MessageAdded(records.message_view(message), after),
        ConversationReleased(after, account.id),
        ConversationUpdated(before, after),
    ]


async def release_held(session: AsyncSession, account: Account) -> list[Event]:
    """Release every live conversation the account holds (it is being deactivated): each stays paused for a
    colleague, its customer told. The events are for after the commit."""
    held = await session.scalars(
        select(Conversation.id)
        .where(Conversation.claimed_by_id == account.id, Conversation.ended_at.is_(None))
        .order_by(Conversation.id)
    )
    events: list[Event] = []
    for conversation_id in list(held):
        locked = await records.lock_conversation(session, conversation_id)
        events += await _release(session, locked, account, because="account_deactivated")
    return events


def _detected_flag(locked: records.Locked, flag_id: int) -> AttentionFlag:
    """The conversation's open flag `flag_id`, if a text detector raised it (only those can be Not needed)."""
    flag = next((open_flag for open_flag in locked.open_flags if open_flag.id == flag_id), None)
    if flag is None:
        raise Conflict("this flag is no longer open")
    if not records.flag_view(flag).detected:
        raise Conflict("only a flag raised by reading a message can be marked Not needed")
    return flag


def _why_not_taken(card: ConversationView, account: Account) -> ConversationView:
    if card.ended_at is not None:
        raise Conflict("this conversation has ended")
    if card.claimed_by_id == account.id:
        return card
    if card.claimed_by_id is not None:
        raise AlreadyClaimed(card.claimed_by_name or "another agent")
    raise Conflict("agents cannot take over conversations of a service in AI Only mode")
