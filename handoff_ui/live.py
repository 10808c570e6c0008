"""The core's events relayed to NiceGUI once per process; the ordered cards and the counters kept here once.

Pages subscribe to these NiceGUI events from inside their page function, so each browser tab subscribes
once and its subscriptions end with it. The counters are the index's: kept as each card replaces the one
before it here (so a card that arrives twice, or late behind a newer one from another process, changes
nothing), and reconciled with the database every RECONCILE_SECONDS. When the bus says events may have been
missed (`EventsMissed`: the link between processes broke), everything is read again from the database.
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
    EventsMissed,
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
from handoff.views import DEFAULT_REMIND_AFTER, ConversationView, FlagView, ServiceView, Stats, Viewer
from handoff_ui.board_index import BoardIndex
from handoff_ui.board_push import BoardPush
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
        self.push = BoardPush()  # the pages that follow a card change by one shared packet (board_push.py)
        self._services: dict[str, ServiceView] = {}  # per slug, as the last event or load said
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
            bus.subscribe(EventsMissed, self._on_missed),
        ]
        await self._load_services()
        await self._load_index()
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
        service = self._services.get(service_slug)
        return service.remind_after_seconds if service else DEFAULT_REMIND_AFTER

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
        self._services[event.service.slug] = event.service
        self.service_added.emit(event)

    def _on_service_changed(self, event: ServiceChanged) -> None:
        self._services[event.after.slug] = event.after
        self.service_changed.emit(event)

    async def reconcile(self, *, reload: bool = False) -> None:
        """Recount from the database; if the counters had drifted (a change this process never heard of), or
        with `reload`, read the cards (and the services) again and tell every page."""
        if not reload and await self.core.board.stats() == self.stats:
            return
        await self._load_services(announce=True)
        await self._load_index()
        self.stats_changed.emit(self.stats)
        self.index_reloaded.emit()

    async def _on_missed(self, _event: EventsMissed) -> None:
        await self.reconcile(reload=True)

    async def _load_services(self, *, announce: bool = False) -> None:
        """Read the services; with `announce`, tell the pages what changed since they last heard (a mode
        change or a new service that another process's lost event would have told)."""
        for service in await self.core.services.all():
            known = self._services.get(service.slug)
            self._services[service.slug] = service
            if not announce or known == service:
                continue
            if known is None:
                self._on_service_added(ServiceAdded(service))
                continue
            self.service_changed.emit(ServiceChanged(known, service, None))
            if known.mode != service.mode:
                self.mode_changed.emit(ServiceModeChanged(service, known.mode, None))

    async def _load_index(self) -> None:
        self._early = []  # changes that land while the index loads
        try:
            self.index.load(await self.core.board.active_cards())
            self.faces.clear()
        finally:
            early, self._early = self._early, None
        for event in early:
            self.index.apply(event.after)  # kept only if newer than what the load read
        self.stats = self.index.stats()

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(RECONCILE_SECONDS)
            with contextlib.suppress(Exception):
                await self.reconcile()

    def _on_card(self, event: ConversationUpdated) -> None:
        if self._early is not None:
            self._early.append(event)
        kept = self.index.get(event.after.id)
        if not self.index.apply(event.after):
            return  # an older card than the one kept (another process's event arrived late): nothing to show
        if not event.after.active:
            self.faces.forget(event.after.id)
        before, after = _counts(kept), _counts(event.after)
        if before != after:
            self.stats = Stats(
                active=self.stats.active + after[0] - before[0],
                attention=self.stats.attention + after[1] - before[1],
                paused=self.stats.paused + after[2] - before[2],
            )
            self.stats_changed.emit(self.stats)
        # The change as this process saw it (its pages show `kept`); another process's `before` may differ.
        self.card_changed.emit(ConversationUpdated(kept, event.after))
        self.push.send(event.after, self.faces.of)  # to the pages that took their updates back
        was_flagged = kept is not None and kept.needs_attention
        if event.after.needs_attention and not was_flagged:
            self.attention_raised.emit(AttentionRaised(event.after, event.after.open_flags[-1]))
        elif was_flagged and not event.after.needs_attention:
            self.attention_cleared.emit(event.after)
