"""The frame around every console page: header with navigation, connection status, sound toggle and
account, plus the alerts (toasts, sound, reminders, tab title, desktop notifications: components/alerts.py).
Built once per page, so its subscriptions are once per tab."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from handoff.events import AccountChanged
from handoff.views import AgentRef, Preferences
from handoff_ui.cards import initials
from handoff_ui.components.alerts import PageAlerts
from handoff_ui.live import Live

MAX_ONLINE_SHOWN = 8  # initials in the header; the rest as "+N" with their names on hover
# (path, title, admins only): the header links each reader may open.
PAGES = (
    ("/handoff", "Human Handoff", False),
    ("/conversations", "Conversations", False),
    ("/reports", "Reports", False),
    ("/services", "Services", True),
    ("/team", "Team", True),
    ("/audit", "Audit", True),
    ("/webhooks", "Webhooks", True),
    ("/settings", "Settings", True),
    ("/account", "Account", False),
    ("/help", "Help", False),
)


def console_frame(
    live: Live,
    agent: AgentRef,
    current: str,
    preferences: Preferences,
    on_open: Callable[[str], None] | None = None,
) -> None:
    """Draw the header and start the notifications. `on_open` opens a conversation named by a toast;
    without it, the toast leads to the Human Handoff screen."""
    with ui.header().classes("items-center bg-slate-800 text-white q-px-md q-py-sm gap-4"):
        ui.label("Handoff").classes("text-lg font-bold")
        for path, title, admins_only in PAGES:
            if admins_only and not agent.is_admin:
                continue
            link = ui.link(title, path).classes("text-white no-underline")
            if current == path or current.startswith(path + "/"):
                link.classes("font-bold underline")
        ui.space()
        with (
            ui.element("div")
            .classes("hf-status")
            .props("data-testid=connection-status data-state=connecting")
        ):
            ui.element("span").classes("hf-dot")
            ui.label("Connecting").classes("hf-status-label")
        sound = ui.button().props("flat round dense color=white data-testid=sound-toggle")
        sound.mark("sound-toggle")
        _draw_sound(sound, preferences.sound)
        alerts = PageAlerts(live, agent, preferences, lambda changed: _draw_sound(sound, changed.sound))
        sound.on_click(alerts.toggle_sound)
        # Asking for the browser's permission must come from a click (browsers refuse or quieten it
        # otherwise): the button is shown by console.js while desktop notifications are on for this agent
        # and this browser has not been asked yet, and its click asks in the browser itself.
        ui.button("Allow desktop notifications").props(
            "flat dense no-caps color=white data-testid=allow-notifications"
        ).classes("hf-ask-notifications").on("click", js_handler="() => window.handoffAlerts.askPermission()")
        OnlineAgents(live, agent)
        ui.label(agent.display_name).classes("text-sm")
        # A link, not a button: leaving with unsaved edits asks first, as every header link does.
        ui.link("Log out", "/logout").classes("text-white no-underline text-sm")
    # Not preloaded: a preloaded audio element kept the browser's audio service busy on every idle console
    # page (~8 ms of CPU per second each, measured); the chime loads the first time it plays.
    ui.add_body_html('<audio id="handoff-chime" src="/sounds/attention.wav" preload="none"></audio>')

    def open_from_toast(event: object) -> None:
        conversation_id = str(getattr(event, "args", ""))
        if on_open is not None:
            on_open(conversation_id)
        else:
            ui.navigate.to(f"/handoff?conversation={conversation_id}")

    ui.on("handoff_open", open_from_toast)

    def follow_account(event: AccountChanged) -> None:
        """This tab's own account changed elsewhere: signed out (deactivated, password reset) it leaves at
        once; a new role or name redraws the page (its links and what it may do)."""
        if event.account.id != agent.id:
            return
        if event.signed_out or not event.account.active:
            ui.run_javascript("window.handoffGuard.set(false); window.location.href = '/login'")
        elif event.account.role != agent.role or event.account.display_name != agent.display_name:
            ui.run_javascript("window.handoffGuard.set(false); window.location.reload()")

    live.account_changed.subscribe(follow_account)
    # This page's agent, so that a card's face (shared by every page) leaves them out of its viewers.
    ui.add_head_html(f"<script>window.handoffAgentId = {int(agent.id)};</script>")
    client = ui.context.client
    presence = live.core.presence
    presence.open_tab(client.id, agent)
    # A closed tab's socket drops at once, but NiceGUI keeps its client for the reconnect timeout (main.py):
    # presence follows the socket, so a closed tab leaves every screen at once.
    client.on_disconnect(lambda: presence.disconnected(client.id))
    client.on_connect(lambda: presence.connected(client.id))
    client.on_delete(lambda: presence.close_tab(client.id))


class OnlineAgents:
    """Who of the team has a console page open, in the header: initials, each name on hover; this page's own
    agent is not shown (they know they are here)."""

    def __init__(self, live: Live, agent: AgentRef) -> None:
        self._live = live
        self._agent = agent
        self._row = ui.row().classes("items-center gap-1 no-wrap").props("data-testid=online-agents")
        self._draw()
        live.online_changed.subscribe(lambda _event: self._draw())

    def _draw(self) -> None:
        others = [viewer for viewer in self._live.online if viewer.id != self._agent.id]
        self._row.clear()
        with self._row:
            if others:
                ui.icon("group").classes("text-grey-4").props('aria-label="Online"')
            for viewer in others[:MAX_ONLINE_SHOWN]:
                avatar = (
                    ui.label(initials(viewer.name)).classes("hf-avatar").props("data-testid=online-agent")
                )
                avatar.props["title"] = viewer.name  # set, not parsed: a name may hold any character
            if len(others) > MAX_ONLINE_SHOWN:
                rest = ui.label(f"+{len(others) - MAX_ONLINE_SHOWN}").classes("text-sm")
                rest.props["title"] = ", ".join(viewer.name for viewer in others[MAX_ONLINE_SHOWN:])


def _draw_sound(button: ui.button, enabled: bool) -> None:
    button.props(
        f"icon={'volume_up' if enabled else 'volume_off'} data-enabled={str(enabled).lower()} "
        f'aria-label="{"Sound on" if enabled else "Sound off"}"'
    )
