"""Presence: which agents have a conversation open in a console, and who of the team is online.

Each console tab tells it when it opens, when it opens or closes a conversation's panel, when its socket
drops and comes back, and when it goes.
Changes are coalesced: however many tabs change within `coalesce_seconds`, each conversation gets at most one
ViewersChanged and the team at most one OnlineChanged, so 25 agents opening panels at once cost every page one
small update per conversation, not one per tab and change.

Kept in this process's memory: the tabs this process serves. With several processes (a shared bus) each one
also sends a snapshot of its own tabs (`PresenceReported`) when they change and every HEARTBEAT_SECONDS, and
shows the union of its own and the others' latest; a process not heard from for FORGET_AFTER_BEATS heartbeats
(killed, cut off) is forgotten, so its agents do not stay "online" for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from handoff.bus import EventBus, Subscription
from handoff.events import EventsMissed, OnlineChanged, PresenceReported, ViewersChanged
from handoff.views import AgentRef, Viewer

COALESCE_SECONDS = 0.25
HEARTBEAT_SECONDS = 5.0
FORGET_AFTER_BEATS = 3  # a process not heard from for this many heartbeats is forgotten


@dataclass(slots=True)
class _Elsewhere:
    """What another process last said of its tabs."""

    heard_at: float
    viewers: dict[str, tuple[Viewer, ...]]
    online: tuple[Viewer, ...]


@dataclass(slots=True)
class _Tab:
    agent: Viewer
    conversation_id: str | None = None
    sockets: int = 0  # shown while connected: a tab whose socket dropped keeps its place, unseen, a moment

    @property
    def connected(self) -> bool:
        return self.sockets > 0


class Presence:
    def __init__(
        self,
        bus: EventBus,
        *,
        coalesce_seconds: float = COALESCE_SECONDS,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus
        self._coalesce_seconds = coalesce_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._clock = clock
        self._tabs: dict[str, _Tab] = {}
        self._elsewhere: dict[str, _Elsewhere] = {}  # per other process (its origin on the bus)
        self._local_changed = False  # this process's tabs changed since its last report
        self._subscriptions: list[Subscription] = []
        self._heartbeat: asyncio.Task[None] | None = None
        self._changed: set[str] = set()  # conversations whose viewers may have changed
        self._online_changed = False
        self._published_online: tuple[Viewer, ...] = ()
        self._published_viewers: dict[str, tuple[Viewer, ...]] = {}
        self._pending: asyncio.Task[None] | None = None

    # -- what the console tabs tell ----------------------------------------------------------------------

    def open_tab(self, tab: str, agent: AgentRef) -> None:
        """A console page was built for this tab; it is shown once its socket connects."""
        self._tabs[tab] = _Tab(Viewer(agent.id, agent.display_name))

    def view(self, tab: str, conversation_id: str | None) -> None:
        """The tab now shows this conversation's panel (None: no panel open)."""
        state = self._tabs.get(tab)
        if state is None or state.conversation_id == conversation_id:
            return
        for changed in (state.conversation_id, conversation_id):
            if changed is not None:
                self._changed.add(changed)
        state.conversation_id = conversation_id
        self._local_changed = True
        self._schedule()

    def connected(self, tab: str) -> None:
        """A socket of the tab connected (the first time, or again): from now on it is shown."""
        self._sockets(tab, +1)

    def disconnected(self, tab: str) -> None:
        """A socket of the tab dropped: without one it is not shown until it reconnects (or goes)."""
        self._sockets(tab, -1)

    def _sockets(self, tab: str, change: int) -> None:
        state = self._tabs.get(tab)
        if state is None:
            return
        was = state.connected
        state.sockets = max(0, state.sockets + change)  # a reconnect may be told before the drop it follows
        if state.connected == was:
            return
        if state.conversation_id is not None:
            self._changed.add(state.conversation_id)
        self._online_changed = self._local_changed = True
        self._schedule()

    def close_tab(self, tab: str) -> None:
        state = self._tabs.pop(tab, None)
        if state is None:
            return
        if state.conversation_id is not None:
            self._changed.add(state.conversation_id)
        self._online_changed = self._local_changed = True
        self._schedule()

    # -- what the other processes tell -------------------------------------------------------------------

    def start(self) -> None:
        """Hear the other processes' tabs and tell them ours (only when the bus is shared)."""
        if not self._bus.shared:
            return
        self._subscriptions = [
            self._bus.subscribe(PresenceReported, self._heard),
            self._bus.subscribe(EventsMissed, lambda _event: self._report_soon()),
        ]
        self._heartbeat = asyncio.get_running_loop().create_task(self._beat_forever())

    def _heard(self, event: PresenceReported) -> None:
        if event.origin == self._bus.origin:
            return
        old = self._elsewhere.pop(event.origin, None)
        if not event.final:
            self._elsewhere[event.origin] = _Elsewhere(self._clock(), dict(event.viewers), event.online)
        self._compare(old, self._elsewhere.get(event.origin))

    def _compare(self, old: _Elsewhere | None, new: _Elsewhere | None) -> None:
        old_viewers = old.viewers if old else {}
        new_viewers = new.viewers if new else {}
        every = old_viewers.keys() | new_viewers.keys()
        changed = {c for c in every if old_viewers.get(c) != new_viewers.get(c)}
        self._changed |= changed
        if (old.online if old else ()) != (new.online if new else ()):
            self._online_changed = True
        if changed or self._online_changed:
            self._schedule()

    def _report_soon(self) -> None:
        self._local_changed = True
        self._schedule()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_seconds)
            self.forget_silent()
            await self._report()

    def forget_silent(self) -> None:
        """Forget the processes not heard from for a while (their tabs are no longer shown)."""
        limit = self._clock() - FORGET_AFTER_BEATS * self._heartbeat_seconds
        for origin, elsewhere in list(self._elsewhere.items()):
            if elsewhere.heard_at < limit:
                del self._elsewhere[origin]
                self._compare(elsewhere, None)

    async def _report(self, *, final: bool = False) -> None:
        self._local_changed = False
        viewers: dict[str, list[Viewer]] = {}
        for tab in self._tabs.values():
            if tab.connected and tab.conversation_id is not None:
                viewers.setdefault(tab.conversation_id, []).append(tab.agent)
        await self._bus.publish(
            PresenceReported(
                origin=self._bus.origin,
                viewers=tuple((c, _distinct(agents)) for c, agents in sorted(viewers.items())),
                online=self._online_here(),
                final=final,
            )
        )

    # -- what the console shows --------------------------------------------------------------------------

    def viewers(self, conversation_id: str) -> tuple[Viewer, ...]:
        """The agents with the conversation open (on any process), each once, by name."""
        here = (
            tab.agent
            for tab in self._tabs.values()
            if tab.connected and tab.conversation_id == conversation_id
        )
        there = (v for e in self._elsewhere.values() for v in e.viewers.get(conversation_id, ()))
        return _distinct([*here, *there])

    def online(self) -> tuple[Viewer, ...]:
        """The agents with at least one console page open (on any process), each once, by name."""
        return _distinct([*self._online_here(), *(v for e in self._elsewhere.values() for v in e.online)])

    def _online_here(self) -> tuple[Viewer, ...]:
        return _distinct(tab.agent for tab in self._tabs.values() if tab.connected)

    def tab_count(self) -> int:
        return len(self._tabs)

    def is_online(self, account_id: int) -> bool:
        return any(agent.id == account_id for agent in self.online())

    # -- coalescing --------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._publish_later())

    async def _publish_later(self) -> None:
        await asyncio.sleep(self._coalesce_seconds)
        await self.publish()

    async def publish(self) -> None:
        """Publish what changed since the last time, once per conversation (and once for the team)."""
        if self._local_changed and self._bus.shared:
            await self._report()
        changed, self._changed = self._changed, set()
        for conversation_id in sorted(changed):
            viewers = self.viewers(conversation_id)
            if viewers != self._published_viewers.get(conversation_id, ()):
                if viewers:
                    self._published_viewers[conversation_id] = viewers
                else:
                    self._published_viewers.pop(conversation_id, None)
                await self._bus.publish(ViewersChanged(conversation_id, viewers))
        if self._online_changed:
            self._online_changed = False
            online = self.online()
            if online != self._published_online:
                self._published_online = online
                await self._bus.publish(OnlineChanged(online))

    async def stop(self) -> None:
        for task in (self._pending, self._heartbeat):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []
        if self._bus.shared:  # the others forget this process's tabs now, not a few heartbeats from now
            self._tabs.clear()
            await self._report(final=True)


def _distinct(agents: Iterable[Viewer]) -> tuple[Viewer, ...]:
    unique = {agent.id: agent for agent in agents}
    return tuple(sorted(unique.values(), key=lambda agent: (agent.name.lower(), agent.id)))
