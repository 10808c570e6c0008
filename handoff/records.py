"""Reading snapshots and writing the rows every transition shares (messages, flags, audit entries).

All functions take the caller's session: they run inside the caller's transaction. The async ones serve
transitions written as async blocks (`Database.write`); the plain ones also serve functions run whole by
`Database.run_write` (an async block calls them through `session.run_sync`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CompoundSelect, Select, and_, bindparam, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from handoff.errors import Forbidden, Invalid, NotFound
from handoff.views import (
    DEFAULT_REMIND_AFTER,
    AccountView,
    AgentRef,
    AnsweredBy,
    ConversationView,
    FlagKind,
    FlagView,
    MessageView,
    Mode,
    Role,
    ServiceView,
    Status,
)
from models import Account, AttentionFlag, AuditEntry, Conversation, Message, Service

Holder = aliased(Account)
AnySession = Session | AsyncSession  # for the functions that only add rows
DETECTOR_HISTORY = 3  # earlier messages of the same role the detectors look back on


def unstorable(text: str) -> str | None:
    """What in `text` a database cannot keep (PostgreSQL refuses NUL; neither encodes a lone surrogate
    half as UTF-8), in words; None when there is nothing of the kind."""
    if "\x00" in text:
        return "a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "an unpaired surrogate"
    return None


def check_text(text: str, max_chars: int) -> None:
    """Every message text: not empty, not longer than the limit, storable; stored exactly as given."""
    if not text.strip():
        raise Invalid("text must not be empty")
    if len(text) > max_chars:
        raise Invalid(f"text must be at most {max_chars} characters")
    if (bad := unstorable(text)) is not None:
        raise Invalid(f"text must not contain {bad}")


async def active_account(session: AsyncSession, agent: AgentRef) -> Account:
    """The acting agent's account, read in this transaction; Forbidden once it is deactivated."""
    account = await session.get(Account, agent.id)
    if account is None or not account.active:
        raise Forbidden("this console account is not active")
    return account


def utcnow() -> datetime:
    return datetime.now(UTC)


def message_view(message: Message) -> MessageView:
    return MessageView(
        id=message.id,
        conversation_id=message.conversation_id,
        role=cast(Role, message.role),
        text=message.text,
        created_at=message.created_at,
        author=message.author_name,
        rating=message.rating,
        answered=message.answered,
    )


def flag_view(flag: AttentionFlag) -> FlagView:
    return FlagView(
        id=flag.id,
        conversation_id=flag.conversation_id,
        kind=cast(FlagKind, flag.kind),
        reason=flag.reason,
        opened_at=flag.opened_at,
        score=flag.score,
        message_id=flag.message_id,
        rule=flag.rule,
    )


def service_view(service: Service) -> ServiceView:
    return ServiceView(
        id=service.id,
        slug=service.slug,
        name=service.name,
        mode=cast(Mode, service.mode),
        answered_by=cast(AnsweredBy | None, service.answered_by),
        knowledge_dir=service.knowledge_dir,
        bot_url=service.bot_url,
        negative_threshold=service.negative_threshold,
        remind_after_seconds=service.remind_after_seconds or DEFAULT_REMIND_AFTER,
        disabled_flags=tuple(cast(list[FlagKind], service.disabled_flags or [])),
        help_phrases=tuple(service.help_phrases or ()),
        archived=service.archived_at is not None,
        allowed_origins=tuple(service.allowed_origins or ()),
        widget_color=service.widget_color,
        widget_greeting=service.widget_greeting,
        signed_identity=bool(service.signed_identity),
    )


def raises(service: Service, kind: str) -> bool:
    """Whether the service raises flags of this kind (an admin can switch kinds off)."""
    return kind not in (service.disabled_flags or ())


def account_view(account: Account) -> AccountView:
    return AccountView(
        id=account.id,
        email=account.email,
        display_name=account.display_name,
        role="admin" if account.role == "admin" else "agent",
        active=account.active,
        created_at=account.created_at,
        last_seen_at=account.last_seen_at,
    )


def card_query() -> Select[Conversation, str, str, str]:
    return (
        select(Conversation, Service.slug, Service.mode, Holder.display_name)
        .join(Service, Service.id == Conversation.service_id)
        .outerjoin(Holder, Holder.id == Conversation.claimed_by_id)
    )


def card_from(
    conversation: Conversation, slug: str, mode: str, holder_name: str | None, flags: Sequence[FlagView]
) -> ConversationView:
    return ConversationView(
        id=conversation.id,
        service_slug=slug,
        service_mode=cast(Mode, mode),
        status=cast(Status, conversation.status),
        started_at=conversation.started_at,
        last_activity_at=conversation.last_activity_at,
        message_count=conversation.message_count,
        claimed_by_id=conversation.claimed_by_id,
        claimed_by_name=holder_name,
        opening_question=conversation.opening_question,
        agent_name=conversation.agent_name,
        customer_name=conversation.customer_name,
        city=conversation.city,
        region=conversation.region,
        country=conversation.country,
        ended_at=conversation.ended_at,
        is_demo=conversation.is_demo,
        open_flags=tuple(flags),
        revision=conversation.revision or 0,
    )


@dataclass
class Locked:
    """A conversation locked for this transaction, with what its card needs, kept current in memory.

    Transitions change it through the functions below, so `card()` gives the before and after views
    without reading the database again.
    """

    conversation: Conversation
    service: Service
    holder_name: str | None
    open_flags: list[AttentionFlag]

    def card(self) -> ConversationView:
        return card_from(
            self.conversation,
            self.service.slug,
            self.service.mode,
            self.holder_name,
            [flag_view(flag) for flag in self.open_flags],
        )

    def claim(self, holder: Account | None) -> None:
        self.conversation.claimed_by_id = holder.id if holder else None
        self.holder_name = holder.display_name if holder else None


async def lock_conversation(session: AsyncSession, conversation_id: str) -> Locked:
    """The conversation, locked against concurrent writers until commit.

    SQLite writers are already serialised by BEGIN IMMEDIATE; PostgreSQL takes the row lock here.
    """
    return await _load_one(session, conversation_id, lock=True)


def lock_conversations(session: Session, conversation_ids: Sequence[str]) -> dict[str, Locked]:
    """Several conversations locked at once (in id order, so two batches never deadlock); absent ids are
    left out."""
    return load(session, conversation_ids, lock=True)


def _load_query(*, lock: bool) -> Select[Conversation, str, str, str, Service, AttentionFlag]:
    query = (
        card_query()
        .add_columns(Service, AttentionFlag)
        .outerjoin(
            AttentionFlag,
            and_(AttentionFlag.conversation_id == Conversation.id, AttentionFlag.closed_at.is_(None)),
        )
        .where(Conversation.id.in_(bindparam("ids", expanding=True)))
        .order_by(Conversation.id, AttentionFlag.id)
        .execution_options(populate_existing=True)
    )
    return query.with_for_update(of=Conversation) if lock else query


# Built once: a statement object keeps its cache key, so reusing it saves building it and keying it.
_LOAD_FOR_UPDATE = _load_query(lock=True)
_LOAD = _load_query(lock=False)


def load(session: Session, conversation_ids: Sequence[str], *, lock: bool) -> dict[str, Locked]:
    """The conversations with their services, holders and open flags: one statement (a row per open flag)."""
    rows = session.execute(_LOAD_FOR_UPDATE if lock else _LOAD, {"ids": list(conversation_ids)})
    loaded: dict[str, Locked] = {}
    for conversation, _slug, _mode, holder_name, service, flag in rows.all():
        locked = loaded.get(conversation.id)
        if locked is None:
            locked = loaded[conversation.id] = Locked(conversation, service, holder_name, open_flags=[])
        if flag is not None:
            locked.open_flags.append(flag)
    if lock:  # locked to be changed: its next card is a newer one, whichever process writes it
        for locked in loaded.values():
            locked.conversation.revision = (locked.conversation.revision or 0) + 1
    return loaded


def recent_texts(
    session: Session,
    conversation_ids: Sequence[str],
    *,
    role: Role,
    limit: int,
) -> dict[str, list[str]]:
    """The last `limit` texts of `role` in each conversation, oldest first. One statement; each conversation's
    part reads only its newest messages from the index, so the cost does not grow with a conversation's
    length."""

    def newest(conversation_id: str) -> Select[int, str, str]:
        return (
            select(Message.id, Message.conversation_id, Message.text)
            .where(Message.conversation_id == conversation_id, Message.role == role)
            .order_by(Message.id.desc())
            .limit(limit)
        )

    if len(conversation_ids) == 1:
        query: Select[int, str, str] | CompoundSelect[int, str, str] = newest(conversation_ids[0])
    else:  # a compound SELECT takes a LIMIT per part only inside a subquery
        query = union_all(*(select(newest(cid).subquery()) for cid in conversation_ids))
    texts: dict[str, list[str]] = defaultdict(list)
    for _id, conversation_id, text in sorted(session.execute(query)):  # rows in no set order
        texts[conversation_id].append(text)
    return texts


async def load_card(session: AsyncSession, conversation_id: str) -> ConversationView:
    """The conversation's card as this transaction sees it (a read: no row lock)."""
    return (await _load_one(session, conversation_id, lock=False)).card()


async def _load_one(session: AsyncSession, conversation_id: str, *, lock: bool) -> Locked:
    loaded = await session.run_sync(load, [conversation_id], lock=lock)
    if conversation_id not in loaded:
        raise NotFound("no such conversation")
    return loaded[conversation_id]


async def load_active_cards(session: AsyncSession, service_slug: str | None = None) -> list[ConversationView]:
    """Every active conversation's card (optionally of one service)."""
    query = card_query().where(Conversation.ended_at.is_(None))
    if service_slug is not None:
        query = query.where(Service.slug == service_slug)
    rows = (await session.execute(query)).all()
    active_ids = select(Conversation.id).where(Conversation.ended_at.is_(None))
    flags: dict[str, list[FlagView]] = defaultdict(list)
    for flag in await session.scalars(
        select(AttentionFlag)
        .where(AttentionFlag.closed_at.is_(None), AttentionFlag.conversation_id.in_(active_ids))
        .order_by(AttentionFlag.id)
    ):
        flags[flag.conversation_id].append(flag_view(flag))
    return [card_from(*row, flags.get(row[0].id, ())) for row in rows]


def add_message(
    session: AnySession,
    locked: Locked,
    *,
    role: Role,
    text: str,
    author: Account | None = None,
    answered: bool | None = None,
    client_message_id: str | None = None,
) -> Message:
    """Add a message to the conversation. It is written (and gets its id) with the session's next flush, so a
    transition flushes once, however many rows it adds."""
    now = utcnow()
    conversation = locked.conversation
    message = Message(
        conversation_id=conversation.id,
        role=role,
        text=text,
        author_id=author.id if author else None,
        author_name=author.display_name if author else None,
        answered=answered,
        client_message_id=client_message_id,
        created_at=now,
    )
    session.add(message)
    conversation.last_activity_at = now
    if role != "system":
        conversation.message_count += 1
    if role == "user" and conversation.recent_customer_texts is not None:  # a new list: JSON is not tracked
        conversation.recent_customer_texts = [*conversation.recent_customer_texts, text][-DETECTOR_HISTORY:]
    return message


def add_flag(
    session: AnySession,
    locked: Locked,
    *,
    kind: FlagKind,
    reason: str,
    score: float | None = None,
    message: Message | None = None,
    rule: str | None = None,
) -> AttentionFlag | None:
    """Open a flag unless one of the same kind is already open; returns the new flag or None. Like a message,
    it is written (and gets its id) with the session's next flush; `message` may be one not yet written."""
    if any(flag.kind == kind for flag in locked.open_flags):
        return None
    flag = AttentionFlag(
        conversation_id=locked.conversation.id,
        kind=kind,
        reason=reason,
        score=score,
        rule=rule,
        opened_at=utcnow(),
    )
    flag.message = message  # the message's id is filled in when both are written
    session.add(flag)
    locked.open_flags.append(flag)
    return flag


async def close_open_flags(
    session: AsyncSession,
    locked: Locked,
    *,
    by: Account,
    how: str,
    flags: Sequence[AttentionFlag] | None = None,
) -> list[int]:
    """Close the conversation's open flags (or only `flags`, some of them); returns their ids."""
    chosen = list(locked.open_flags if flags is None else flags)
    now = utcnow()
    for flag in chosen:
        flag.closed_at = now
        flag.closed_by_id = by.id
        flag.closed_how = how
        locked.open_flags.remove(flag)
    await session.flush()
    return [flag.id for flag in chosen]


def audit(
    session: AnySession,
    *,
    action: str,
    account_id: int | None,
    conversation_id: str | None = None,
    service_id: int | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            at=utcnow(),
            account_id=account_id,
            action=action,
            conversation_id=conversation_id,
            service_id=service_id,
            details=details,
        )
    )
