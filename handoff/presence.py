"""Presence: which agents have a conversation open in a console, and who of the team is online.

Each console tab tells it when it opens, when it opens or closes a conversation's panel, when its socket
drops and comes back, and when it goes.
Changes are coalesced: however many tabs change within `coalesce_seconds`, each conversation gets at most one
ViewersChanged and the team at most one OnlineChanged, so 25 agents opening panels at once cost every page one
small update per conversation, not one per tab and change.

Kept in this process's memory: it is about the tabs this process serves. (With several processes each one
publishes its own tabs' presence; issue 21 merges them.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from handoff.bus import EventBus
from handoff.events import OnlineChanged, ViewersChanged
from handoff.views import AgentRef, Viewer

COALESCE_SECONDS = 0.25


@dataclass(slots=True)
class _Tab:
    agent: Viewer
    conversation_id: str | None = None
    sockets: int = 0  # shown while connected: a tab whose socket dropped keeps its place, unseen, a moment

    @property
    def connected(self) -> bool:
        return self.sockets > 0


class Presence:
    def __init__(self, bus: EventBus, *, coalesce_seconds: float = COALESCE_SECONDS) -> None:
        self._bus = bus
        self._coalesce_seconds = coalesce_seconds
        self._tabs: dict[str, _Tab] = {}
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
        self._online_changed = True
        self._schedule()

    def close_tab(self, tab: str) -> None:
        state = self._tabs.pop(tab, None)
        if state is None:
            return
        if state.conversation_id is not None:
            self._changed.add(state.conversation_id)
        self._online_changed = True
        self._schedule()

    # -- what the console shows --------------------------------------------------------------------------

    def viewers(self, conversation_id: str) -> tuple[Viewer, ...]:
        """The agents with the conversation open, each once, by name."""
        return _distinct(
            tab.agent
            for tab in self._tabs.values()
            if tab.connected and tab.conversation_id == conversation_id
        )

    def online(self) -> tuple[Viewer, ...]:
        """The agents with at least one console page open, each once, by name."""
        return _distinct(tab.agent for tab in self._tabs.values() if tab.connected)

    def tab_count(self) -> int:
        return len(self._tabs)

    def is_online(self, account_id: int) -> bool:
        return any(tab.connected and tab.agent.id == account_id for tab in self._tabs.values())

    # -- coalescing --------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._publish_later())

    async def _publish_later(self) -> None:
        await asyncio.sleep(self._coalesce_seconds)
        await self.publish()

    async def publish(self) -> None:
        """Publish what changed since the last time, once per conversation (and once for the team)."""
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
        if self._pending is not None:
            self._pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pending


def _distinct(agents: Iterable[Viewer]) -> tuple[Viewer, ...]:
    unique = {agent.id: agent for agent in agents}
    return tuple(sorted(unique.values(), key=lambda agent: (agent.name.lower(), agent.id)))
