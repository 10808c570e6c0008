"""The tables. Column meanings follow the help page's words; rules live in `handoff/`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, orm_insert_sentinel, relationship
from sqlalchemy.types import TypeDecorator

# SQLite keeps 64-bit integers in INTEGER PRIMARY KEY only when declared as INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(20), default="human_supported")
    knowledge_dir: Mapped[str | None] = mapped_column(Text, nullable=True)
    negative_threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    bot_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    bot_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Which AI answers: "knowledge", "bot" or "model"; None for rows older than migration 0007, which answer
    # as they always did (a bot URL, else the configured model, else the knowledge folder).
    answered_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    remind_after_seconds: Mapped[int] = mapped_column(Integer, default=60, server_default="60")
    disabled_flags: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # flag kinds turned off
    help_phrases: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # an admin's own triggers
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The chat widget (issue 23): the sites that may embed the chat, its colour and greeting, and whether
    # `Handoff.identify` must be signed by the host's server (HMAC-SHA256 of the external id, this secret).
    allowed_origins: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    widget_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    widget_greeting: Mapped[str | None] = mapped_column(Text, nullable=True)
    identity_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    signed_identity: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Account(Base):
    """A console account: an agent or an admin."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10), default="agent")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    preferences: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)


class ApiKey(Base):
    """A service's key for an external bot; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_active", "ended_at", "service_id", "last_activity_at"),
        Index("ix_conversations_started", "started_at"),  # the history, newest first
        Index("ix_conversations_customer", "customer_external_id"),  # the same customer's other conversations
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default="ai_active")
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    opening_question: Mapped[str | None] = mapped_column(Text, nullable=True)
    agent_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    customer_external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(200), nullable=True)
    region: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    # Raised by every transaction that locks the row to change it: the newest card of a conversation is the
    # one with the highest revision, whichever process's event brings it (migration 0013).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The last few customer texts, oldest first, for the detectors; None for rows older than migration 0004.
    recent_customer_texts: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "client_message_id", name="uq_messages_client_id"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        # The reports' (migration 0010): only the rows a report counts, with what it counts.
        Index(
            "ix_messages_rated",
            "conversation_id",
            "rating",
            sqlite_where=text("rating IS NOT NULL"),
            postgresql_where=text("rating IS NOT NULL"),
        ),
        Index(
            "ix_messages_ai_answers",
            "conversation_id",
            "role",
            "answered",
            sqlite_where=text("role = 'ai'"),
            postgresql_where=text("role = 'ai'"),
        ),
        Index(
            "ix_messages_human",
            "conversation_id",
            "created_at",
            sqlite_where=text("role = 'human'"),
            postgresql_where=text("role = 'human'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    author_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    rating: Mapped[str | None] = mapped_column(String(4), nullable=True)
    answered: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    client_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Lets one INSERT ... RETURNING carry a batch of messages (migration 0005 says why).
    _sentinel: Mapped[int] = orm_insert_sentinel()


class AttentionFlag(Base):
    """Why a conversation needs a human. Open while `closed_at` is null."""

    __tablename__ = "attention_flags"
    __table_args__ = (Index("ix_flags_open", "conversation_id", "closed_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"), nullable=True)
    # Set (never read) to link a flag to a message written in the same flush.
    message: Mapped[Message | None] = relationship(lazy="raise")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    closed_how: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Which rule or signals of the detector fired (`Finding.rule`); None for flags raised otherwise. A flag
    # closed as "not_needed" is a false alarm of that detector on its message.
    rule: Mapped[str | None] = mapped_column(Text, nullable=True)
    _sentinel: Mapped[int] = orm_insert_sentinel()


class AuditEntry(Base):
    """One agent action, kept for accountability."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_action", "action", "conversation_id", "at"),  # take-overs, for the reports
        Index("ix_audit_action_at", "action", "at"),  # recent failed logins (handoff/login_throttle.py)
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    service_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Setting(Base):
    """Server-wide values kept across restarts, such as the session secret."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Note(Base):
    """An agent's internal note on a conversation: for agents only, never shown to the customer. Kept apart
    from the messages so that no customer path (chat page, API, event stream, export, the AI's context) can
    read one by mistake."""

    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    author_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CannedReply(Base):
    """A service's prepared answer, picked in the reply box by typing "/" and its shortcut."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("service_id", "shortcut", name="uq_canned_replies_shortcut"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"), index=True)
    shortcut: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Webhook(Base):
    """An endpoint that gets the events it asked for (`events`: their names) as signed POSTs."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10), default="json")  # "json" or "slack"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one endpoint: the outbox row, written in the transaction of the change it tells of.

    `seq` orders the deliveries; those of one `ordering_key` (a conversation, or a service) go out in that
    order. `claimed_until` is a sending process's lease: a process that died mid-attempt lets it lapse.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index(
            "ix_webhook_deliveries_waiting",
            "webhook_id",
            "ordering_key",
            "seq",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_log", "webhook_id", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)  # X-Handoff-Delivery
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    ordering_key: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)  # the JSON payload, the same bytes on every attempt
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, delivered, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the HTTP status, if any
    last_answer: Mapped[str | None] = mapped_column(Text, nullable=True)  # the answer's start, or the error
    redelivery_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
