"""The events the core publishes after each commit. Payloads are frozen snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from handoff.views import (
    AccountView,
    ConversationView,
    FlagView,
    MessageView,
    Mode,
    NoteView,
    Preferences,
    ServiceView,
    Viewer,
)


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event. With several processes, every event goes to every process (`handoff.wire`) unless
    its class is `local_only`."""

    local_only: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class ConversationUpdated(Event):
    """A card changed: `before` is None for a new conversation; counters follow from before -> after."""

    before: ConversationView | None
    after: ConversationView


@dataclass(frozen=True, slots=True)
class ConversationStarted(Event):
    """A customer opened a conversation."""

    conversation: ConversationView


@dataclass(frozen=True, slots=True)
class MessageAdded(Event):
    """A message of any role was stored; `conversation` is the card after it."""

    message: MessageView
    conversation: ConversationView


@dataclass(frozen=True, slots=True)
class MessageRated(Event):
    """The customer rated an AI message up or down."""

    message: MessageView


@dataclass(frozen=True, slots=True)
class FlagOpened(Event):
    """A conversation newly needs attention for this reason."""

    flag: FlagView
    conversation: ConversationView


@dataclass(frozen=True, slots=True)
class FlagsClosed(Event):
    """An agent acknowledged (by taking over), dismissed or marked "Not needed" open flags."""

    conversation_id: str
    flag_ids: tuple[int, ...]
    by_agent_id: int
    how: str


@dataclass(frozen=True, slots=True)
class ConversationTakenOver(Event):
    """An agent claimed the conversation; the AI is paused."""

    conversation: ConversationView
    agent_id: int
    agent_name: str


@dataclass(frozen=True, slots=True)
class ConversationReleased(Event):
    """The holding agent let go; the conversation stays paused for a colleague."""

    conversation: ConversationView
    agent_id: int


@dataclass(frozen=True, slots=True)
class AIResumed(Event):
    """The conversation is back with the AI, which answers from the next customer message on."""

    conversation: ConversationView
    agent_id: int | None


@dataclass(frozen=True, slots=True)
class ConversationEnded(Event):
    """The conversation left the active list."""

    conversation: ConversationView


@dataclass(frozen=True, slots=True)
class ServiceModeChanged(Event):
    """A service's operating mode changed."""

    service: ServiceView
    previous_mode: Mode
    by_agent_id: int | None


@dataclass(frozen=True, slots=True)
class ServiceAdded(Event):
    """A new service exists."""

    service: ServiceView


@dataclass(frozen=True, slots=True)
class ServiceChanged(Event):
    """A service's settings changed (its name, its AI, its detection, archived or restored)."""

    before: ServiceView
    after: ServiceView
    by_agent_id: int | None


@dataclass(frozen=True, slots=True)
class ApiKeysChanged(Event):
    """A key of the service's bot was created or revoked."""

    service_slug: str


@dataclass(frozen=True, slots=True)
class KnowledgeSaved(Event):
    """A service's knowledge files were written from the console."""

    service_slug: str
    by_agent_id: int | None


@dataclass(frozen=True, slots=True)
class AccountChanged(Event):
    """A console account was added or changed: its name, role, password or whether it is active."""

    account: AccountView
    by_agent_id: int | None
    signed_out: bool = False  # every page the account has open must sign out (deactivated, password reset)


@dataclass(frozen=True, slots=True)
class PreferencesChanged(Event):
    """An agent saved how the console alerts them: every tab of theirs applies it at once."""

    account_id: int
    preferences: Preferences


@dataclass(frozen=True, slots=True)
class NoteAdded(Event):
    """An agent wrote an internal note on a conversation: for the consoles, never the customer's feeds."""

    note: NoteView


@dataclass(frozen=True, slots=True)
class CannedRepliesChanged(Event):
    """A service's canned replies were added, changed or removed."""

    service_slug: str


@dataclass(frozen=True, slots=True)
class ViewersChanged(Event):
    """Who has the conversation open in a console now, on every process (coalesced: at most one per
    conversation per moment). Each process works it out from its own tabs and the others' PresenceReported."""

    local_only: ClassVar[bool] = True

    conversation_id: str
    viewers: tuple[Viewer, ...]


@dataclass(frozen=True, slots=True)
class OnlineChanged(Event):
    """Who of the team has a console page open now, on any process."""

    local_only: ClassVar[bool] = True

    agents: tuple[Viewer, ...]


@dataclass(frozen=True, slots=True)
class AgentTyping(Event):
    """The agent holding the conversation is typing a reply (at most every few seconds): the customer's chat
    page and event stream show "An agent is typing..."."""

    conversation_id: str
    agent_name: str


@dataclass(frozen=True, slots=True)
class WebhooksChanged(Event):
    """An outgoing webhook was added, changed or removed, or a delivery was queued again (Redeliver): the
    senders look at the outbox now."""

    webhook_id: int


@dataclass(frozen=True, slots=True)
class PresenceReported(Event):
    """One process's console tabs: who has which conversation open there and who is online there. Sent when
    they change and every few seconds as a heartbeat, so a process that dies is forgotten by the others."""

    origin: str
    viewers: tuple[tuple[str, tuple[Viewer, ...]], ...]  # (conversation id, its viewers on that process)
    online: tuple[Viewer, ...]
    final: bool = False  # the process is stopping: forget its tabs now


@dataclass(frozen=True, slots=True)
class EventsMissed(Event):
    """This process may have missed other processes' events (its link to them broke, or they said they could
    not send): whatever it keeps from events must be read again from the database."""

    local_only: ClassVar[bool] = True
    reason: str


@dataclass(frozen=True, slots=True)
class ResyncRequested(Event):
    """Sent by a process whose events could not all reach the others (its queue for Redis overflowed while
    Redis was away): every other process reads its state again from the database."""

    reason: str
