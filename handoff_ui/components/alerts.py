"""A console page's alerts: which conversations wait for a human, kept in step in the browser.

The server tells each page the list once it connects (and again after every reconnect or resync) and each
change to it after that (a conversation starts or stops waiting). Everything timed happens in the browser,
on its own clock (console.js, `handoffAlerts`): the 2.5 s hold before a new flag rings, the toasts (at most
three, the rest folded), the sound, the reminders at growing intervals, the waiting times, the tab title and
the desktop notifications. So a reminder costs the server nothing, is shown by every page without being
scheduled twice, and the tests drive it with the browser's clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from nicegui import ui

from handoff.events import PreferencesChanged
from handoff.views import AgentRef, ConversationView, Preferences
from handoff_ui.cards import iso_utc
from handoff_ui.live import AttentionRaised, Live
from handoff_ui.words import FLAG_WORDS


def waiting_item(view: ConversationView, remind_after: int) -> dict[str, object]:
    """What the browser needs to alert about one waiting conversation. Values only: it puts them in text."""
    words = ", ".join(FLAG_WORDS[flag.kind] for flag in view.open_flags)
    where = " · ".join(part for part in (view.service_slug, view.city) if part)
    since = view.waiting_since
    return {
        "id": view.id,
        "title": f"{words}: {where}",
        "caption": (view.opening_question or "")[:120],
        "since": iso_utc(since) if since else None,
        "remind_after": remind_after,
        "kinds": sorted({flag.kind for flag in view.open_flags}),
    }


def preferences_for_browser(preferences: Preferences) -> dict[str, object]:
    return {
        "sound": preferences.sound,
        "volume": preferences.volume,
        "alert_kinds": list(preferences.alert_kinds),
        "desktop": preferences.desktop_notifications,
    }


class PageAlerts:
    """One page's part: made once per page (the frame), so its subscriptions are once per tab."""

    def __init__(
        self,
        live: Live,
        agent: AgentRef,
        preferences: Preferences,
        on_preferences: Callable[[Preferences], None],
    ) -> None:
        self._live = live
        self._agent = agent
        self.preferences = preferences
        self._on_preferences = on_preferences  # the page draws what it shows of them (the sound toggle)
        ui.context.client.on_connect(self.sync)
        live.attention_raised.subscribe(self._raised)
        live.attention_cleared.subscribe(self._cleared)
        live.index_reloaded.subscribe(self.sync)
        live.preferences_changed.subscribe(self._preferences_changed)

    def sync(self) -> None:
        """The whole list, with this agent's preferences and the server's time (the browser's clock may be
        off: it times everything from the difference)."""
        state = {
            "now": iso_utc(datetime.now(UTC)),
            "preferences": preferences_for_browser(self.preferences),
            "waiting": [self._item(view) for view in self._live.index.waiting()],
        }
        ui.run_javascript(f"window.handoffAlerts.sync({_json(state)})")

    async def toggle_sound(self) -> Preferences:
        """Sound on or off for this agent, on every tab of theirs (a preference kept on the server)."""
        return await self._live.core.accounts.set_preferences(
            agent=self._agent, preferences=replace(self.preferences, sound=not self.preferences.sound)
        )

    def _item(self, view: ConversationView) -> dict[str, object]:
        return waiting_item(view, self._live.remind_after(view.service_slug))

    def _raised(self, raised: AttentionRaised) -> None:
        ui.run_javascript(f"window.handoffAlerts.raise({_json(self._item(raised.conversation))})")

    def _cleared(self, view: ConversationView) -> None:
        ui.run_javascript(f"window.handoffAlerts.clear({_json(view.id)})")

    def _preferences_changed(self, event: PreferencesChanged) -> None:
        if event.account_id != self._agent.id:
            return
        self.preferences = event.preferences
        ui.run_javascript(
            f"window.handoffAlerts.preferences({_json(preferences_for_browser(event.preferences))})"
        )
        self._on_preferences(event.preferences)


def _json(value: object) -> str:
    # Safe inside the script NiceGUI runs: json.dumps escapes quotes and control characters, and "</" can't
    # close anything in a string that is evaluated, not parsed as HTML.
    return json.dumps(value, ensure_ascii=False)
