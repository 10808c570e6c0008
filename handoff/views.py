"""Frozen snapshots that leave the core: in events, to the API and to the console. Never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Role = Literal["user", "ai", "human", "system"]
Mode = Literal["ai_only", "human_supported", "human_only"]
Status = Literal["ai_active", "paused"]
FlagKind = Literal["thumbs_down", "non_answer", "negative_feedback", "help_requested"]

MODES: tuple[Mode, ...] = ("ai_only", "human_supported", "human_only")
FLAG_KINDS: tuple[FlagKind, ...] = ("thumbs_down", "non_answer", "negative_feedback", "help_requested")


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    conversation_id: str
    role: Role
    text: str
    created_at: datetime
    author: str | None = None
    rating: str | None = None
    answered: bool | None = None

    def to_api(self) -> dict[str, Any]:
        """The message object of the HTTP API."""
        data: dict[str, Any] = {
            "id": self.id,
            "conversation_id": self.conversation_id,
            "role": self.role,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
        }
        if self.author is not None:
            data["author"] = self.author
        if self.role == "ai":
            data["rating"] = self.rating
        return data


@dataclass(frozen=True, slots=True)
class NoteView:
    """An agent's internal note: shown to agents only, never to the customer (no `to_api`, on purpose)."""

    id: int
    conversation_id: str
    text: str
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CannedReplyView:
    """A service's prepared answer; `{customer_name}` and `{agent_name}` are filled in when it is picked."""

    id: int
    service_slug: str
    shortcut: str
    text: str


@dataclass(frozen=True, slots=True)
class Viewer:
    """A console agent, as presence shows them: who has a conversation open, who is online."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class FlagView:
    id: int
    conversation_id: str
    kind: FlagKind
    reason: str
    opened_at: datetime
    score: float | None = None
    message_id: int | None = None
    rule: str | None = None  # which rule or signals of a text detector fired; None when raised otherwise

    @property
    def detected(self) -> bool:
        """Raised by a text detector reading a message, so an agent can mark it "Not needed"."""
        return self.rule is not None and self.message_id is not None


AnsweredBy = Literal["knowledge", "bot", "model"]
ANSWERED_BY: tuple[AnsweredBy, ...] = ("knowledge", "bot", "model")
DEFAULT_REMIND_AFTER = 60


@dataclass(frozen=True, slots=True)
class ServiceView:
    """A service and its settings (never its secrets)."""

    id: int
    slug: str
    name: str
    mode: Mode
    answered_by: AnsweredBy | None = None  # None: as before migration 0007 (bot URL, model, knowledge)
    knowledge_dir: str | None = None
    bot_url: str | None = None
    negative_threshold: float | None = None  # None: the detector's default
    remind_after_seconds: int = DEFAULT_REMIND_AFTER
    disabled_flags: tuple[FlagKind, ...] = ()
    help_phrases: tuple[str, ...] = ()
    archived: bool = False
    # The chat widget: the sites that may embed the chat (none: no site may), its look, signed identities.
    allowed_origins: tuple[str, ...] = ()
    widget_color: str | None = None  # None: the default (widget.DEFAULT_COLOR)
    widget_greeting: str | None = None  # None: the chat page's own greeting
    signed_identity: bool = False


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    """A bot API key as the console lists it: never the key itself, only its first characters."""

    id: int
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class AccountView:
    """A console account as the Team page lists it."""

    id: int
    email: str
    display_name: str
    role: Literal["admin", "agent"]
    active: bool
    created_at: datetime
    last_seen_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def ref(self) -> AgentRef:
        return AgentRef(id=self.id, display_name=self.display_name, role=self.role)


@dataclass(frozen=True, slots=True)
class ConversationView:
    """What a console card shows, and what decides the counters."""

    id: str
    service_slug: str
    service_mode: Mode
    status: Status
    started_at: datetime
    last_activity_at: datetime
    message_count: int
    claimed_by_id: int | None = None
    claimed_by_name: str | None = None
    opening_question: str | None = None
    agent_name: str | None = None
    customer_name: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    ended_at: datetime | None = None
    is_demo: bool = False
    open_flags: tuple[FlagView, ...] = field(default_factory=tuple)
    revision: int = 0  # higher is newer: of two cards of one conversation, the one to keep

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def needs_attention(self) -> bool:
        """An open flag that no agent has claimed."""
        return self.active and bool(self.open_flags) and self.claimed_by_id is None

    @property
    def waiting_since(self) -> datetime | None:
        """When it started needing attention (its first open flag); None while it does not."""
        return min(flag.opened_at for flag in self.open_flags) if self.needs_attention else None

    @property
    def paused(self) -> bool:
        return self.active and self.status == "paused"

    @property
    def ai_may_speak(self) -> bool:
        """Open, not paused by a human, and not in a Human Only service."""
        return self.active and self.status == "ai_active" and self.service_mode != "human_only"

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service_slug,
            "status": self.status,
            "agent": self.agent_name,
            "claimed_by": self.claimed_by_name,
            "opening_question": self.opening_question,
            "location": {"city": self.city, "region": self.region, "country": self.country},
            "started_at": self.started_at.isoformat(),
            "last_activity_at": self.last_activity_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "message_count": self.message_count,
            "flags": [flag.kind for flag in self.open_flags],
        }


@dataclass(frozen=True, slots=True)
class Stats:
    """The stats bar's three counters."""

    active: int
    attention: int
    paused: int


@dataclass(frozen=True, slots=True)
class AgentRef:
    """The console account acting, as the core needs to know it."""

    id: int
    display_name: str
    role: Literal["admin", "agent"] = "agent"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class Preferences:
    """How the console alerts one agent, on every tab of theirs."""

    sound: bool = True
    volume: float = 0.8  # 0..1
    alert_kinds: tuple[str, ...] = FLAG_KINDS
    desktop_notifications: bool = False

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None) -> Preferences:
        stored = stored or {}
        default = cls()
        kinds = stored.get("alert_kinds", default.alert_kinds)
        return cls(
            sound=bool(stored.get("sound", default.sound)),
            volume=min(1.0, max(0.0, float(stored.get("volume", default.volume)))),
            alert_kinds=tuple(k for k in FLAG_KINDS if k in kinds),
            desktop_notifications=bool(stored.get("desktop_notifications", default.desktop_notifications)),
        )

    def stored(self) -> dict[str, object]:
        return {
            "sound": self.sound,
            "volume": self.volume,
            "alert_kinds": list(self.alert_kinds),
            "desktop_notifications": self.desktop_notifications,
        }
