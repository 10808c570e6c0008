"""The core's events relayed to NiceGUI once per process; the ordered cards and the counters kept here once.

Pages subscribe to these NiceGUI events from inside their page function, so each browser tab subscribes
once and its subscriptions end with it. The counters are kept incrementally from each card change
(before -> after) and reconciled with the database every RECONCILE_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from nicegui import Event

from handoff.bus import Subscription
from handoff.core import Core
from handoff.events import (
    AccountChanged,
    AgentTyping,
    ApiKeysChanged,
    CannedRepliesChanged,
    ConversationUpdated,
    KnowledgeSaved,
    MessageAdded,
    NoteAdded,
    OnlineChanged,
    PreferencesChanged,
    ServiceAdded,
    ServiceChanged,
    ServiceModeChanged,
    ViewersChanged,
)
from handoff.views import DEFAULT_REMIND_AFTER, ConversationView, FlagView, Stats, Viewer
from handoff_ui.board_index import BoardIndex
from handoff_ui.cards import Faces

RECONCILE_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class AttentionRaised:
    """A conversation newly needs attention (it did not a moment ago)."""

    conversation: ConversationView
    flag: FlagView


def _counts(card: ConversationView | None) -> tuple[int, int, int]:
    if card is None:
        return 0, 0, 0
    return int(card.active), int(card.needs_attention), int(card.paused)


class Live:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.card_changed: Event[[ConversationUpdated]] = Event()
        self.message_added: Event[[MessageAdded]] = Event()
        self.mode_changed: Event[[ServiceModeChanged]] = Event()
        self.service_added: Event[[ServiceAdded]] = Event()
        self.stats_changed: Event[[Stats]] = Event()
        self.attention_raised: Event[[AttentionRaised]] = Event()
        self.attention_cleared: Event[[ConversationView]] = Event()  # taken over, dismissed or ended
        self.preferences_changed: Event[[PreferencesChanged]] = Event()
        self.index_reloaded: Event[[]] = Event()
        self.service_changed: Event[[ServiceChanged]] = Event()
        self.account_changed: Event[[AccountChanged]] = Event()
        self.knowledge_saved: Event[[KnowledgeSaved]] = Event()
        self.api_keys_changed: Event[[ApiKeysChanged]] = Event()
        self.note_added: Event[[NoteAdded]] = Event()
        self.canned_replies_changed: Event[[CannedRepliesChanged]] = Event()
        self.agent_typing: Event[[AgentTyping]] = Event()
        self.viewers_changed: Event[[ViewersChanged]] = Event()
        self.online_changed: Event[[OnlineChanged]] = Event()
        self.online: tuple[Viewer, ...] = ()  # who of the team has a console page open
        self.stats = Stats(active=0, attention=0, paused=0)
        self.index = BoardIndex()
        self._viewers: dict[str, tuple[Viewer, ...]] = {}  # conversation -> the agents with it open
        self.faces = Faces(self.viewers)
        self._remind_after: dict[str, int] = {}  # per service slug
        self._subscriptions: list[Subscription] = []
        self._reconciler: asyncio.Task[None] | None = None
        self.started = asyncio.Event()
        self._early: list[ConversationUpdated] | None = None

    async def start(self) -> None:
        bus = self.core.bus
        self._subscriptions = [
            bus.subscribe(ConversationUpdated, self._on_card),
            bus.subscribe(MessageAdded, self.message_added.emit),
            bus.subscribe(ServiceModeChanged, self.mode_changed.emit),
            bus.subscribe(ServiceAdded, self._on_service_added),
            bus.subscribe(ServiceChanged, self._on_service_changed),
            bus.subscribe(PreferencesChanged, self.preferences_changed.emit),
            bus.subscribe(AccountChanged, self.account_changed.emit),
            bus.subscribe(KnowledgeSaved, self.knowledge_saved.emit),
            bus.subscribe(ApiKeysChanged, self.api_keys_changed.emit),
            bus.subscribe(NoteAdded, self.note_added.emit),
            bus.subscribe(CannedRepliesChanged, self.canned_replies_changed.emit),
            bus.subscribe(AgentTyping, self.agent_typing.emit),
            bus.subscribe(ViewersChanged, self._on_viewers),
            bus.subscribe(OnlineChanged, self._on_online),
        ]
        for service in await self.core.services.all():
            self._remind_after[service.slug] = service.remind_after_seconds
        await self._load_index()
        self.stats = await self.core.board.stats()
        self._reconciler = asyncio.create_task(self._reconcile_forever())
        self.started.set()

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        if self._reconciler is not None:
            self._reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconciler

    def listener_count(self) -> int:
        """The pages' callbacks on the live events: each page's go when its client is deleted."""
        return sum(len(value.callbacks) for value in vars(self).values() if isinstance(value, Event))

    def remind_after(self, service_slug: str) -> int:
        """Seconds from a conversation's first flag to its first reminder, as its service says."""
        return self._remind_after.get(service_slug, DEFAULT_REMIND_AFTER)

    def viewers(self, conversation_id: str) -> tuple[Viewer, ...]:
        """The agents who have the conversation open in a console, as the last ViewersChanged said."""
        return self._viewers.get(conversation_id, ())

    def _on_viewers(self, event: ViewersChanged) -> None:
        if event.viewers:
            self._viewers[event.conversation_id] = event.viewers
        else:
            self._viewers.pop(event.conversation_id, None)
        self.viewers_changed.emit(event)

    def _on_online(self, event: OnlineChanged) -> None:
        self.online = event.agents
        self.online_changed.emit(event)

    def _on_service_added(self, event: ServiceAdded) -> None:
        self._remind_after[event.service.slug] = event.service.remind_after_seconds
        self.service_added.emit(event)

    def _on_service_changed(self, event: ServiceChanged) -> None:
        self._remind_after[event.after.slug] = event.after.remind_after_seconds
        self.service_changed.emit(event)

    async def reconcile(self) -> None:
        """Recount from the database; if the counters had drifted (a change this process never heard of),
        reload the cards too and tell every page."""
        stats = await self.core.board.stats()
        if stats != self.stats:
            await self._load_index()
            self.stats = stats
            self.stats_changed.emit(stats)
            self.index_reloaded.emit()

    async def _load_index(self) -> None:
        self._early = []  # changes that land while the index loads
        try:
            self.index.load(await self.core.board.active_cards())
            self.faces.clear()
        finally:
            early, self._early = self._early, None
        for event in early:
            self.index.apply(event.after)  # newer than (or the same as) what the load read

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            with contextlib.suppress(Exception):
                await self.reconcile()

    def _on_card(self, event: ConversationUpdated) -> None:
        if self._early is not None:
            self._early.append(event)
        self.index.apply(event.after)
        if not event.after.active:
            self.faces.forget(event.after.id)
        before, after = _counts(event.before), _counts(event.after)
        if before != after:
            self.stats = Stats(
                active=self.stats.active + after[0] - before[0],
                attention=self.stats.attention + after[1] - before[1],
                paused=self.stats.paused + after[2] - before[2],
            )
            self.stats_changed.emit(self.stats)
        self.card_changed.emit(event)
        was_flagged = event.before is not None and event.before.needs_attention
        if event.after.needs_attention and not was_flagged:
            self.attention_raised.emit(AttentionRaised(event.after, event.after.open_flags[-1]))
        elif was_flagged and not event.after.needs_attention:
            self.attention_cleared.emit(event.after)
