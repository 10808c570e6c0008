"""The frame around every console page: header with navigation, connection status, sound toggle and
account, plus the attention toasts and sound. Built once per page, so its subscriptions are once per tab."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from nicegui import ui

from handoff.events import AccountChanged
from handoff.views import AgentRef
from handoff_ui.live import AttentionRaised, Live
from handoff_ui.words import FLAG_WORDS

# (path, title, admins only): the header links each reader may open.
PAGES = (
    ("/handoff", "Human Handoff", False),
    ("/services", "Services", True),
    ("/team", "Team", True),
    ("/account", "Account", False),
    ("/help", "Help", False),
)
SOUND_STATE_SECONDS = 5.0  # how long a page has to tell its sound setting (on connecting, on a toggle)


def console_frame(
    live: Live, agent: AgentRef, current: str, on_open: Callable[[str], None] | None = None
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
        sound: ui.button = ui.button(icon="volume_up").props(
            'flat round dense color=white data-testid=sound-toggle data-enabled=true aria-label="Sound on"'
        )
        sound.on_click(lambda: _toggle_sound(sound))
        ui.label(agent.display_name).classes("text-sm")
        # A link, not a button: leaving with unsaved edits asks first, as every header link does.
        ui.link("Log out", "/logout").classes("text-white no-underline text-sm")
    # Not preloaded: a preloaded audio element kept the browser's audio service busy on every idle console
    # page (~8 ms of CPU per second each, measured); the chime loads the first time it plays.
    ui.add_body_html('<audio id="handoff-chime" src="/sounds/attention.wav" preload="none"></audio>')
    ui.context.client.on_connect(lambda: _show_sound_state(sound))

    def open_from_toast(event: object) -> None:
        conversation_id = str(getattr(event, "args", ""))
        if on_open is not None:
            on_open(conversation_id)
        else:
            ui.navigate.to(f"/handoff?conversation={conversation_id}")

    ui.on("handoff_open", open_from_toast)

    def notify(raised: AttentionRaised) -> None:
        _notify(raised)

    # A function of this tab's own: NiceGUI unsubscribes by equality when a tab closes, so a shared function
    # would be unsubscribed from every tab at once.
    live.attention_raised.subscribe(notify)

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
    client = ui.context.client
    live.online[agent.id] += 1

    def gone() -> None:
        live.online[agent.id] -= 1
        if live.online[agent.id] <= 0:
            del live.online[agent.id]

    client.on_delete(gone)


def _notify(raised: AttentionRaised) -> None:
    conversation = raised.conversation
    words = ", ".join(FLAG_WORDS[flag.kind] for flag in conversation.open_flags)
    where = " · ".join(p for p in (conversation.service_slug, conversation.city) if p)
    note = {
        "id": conversation.id,
        "title": f"{words}: {where}",
        "caption": (conversation.opening_question or "")[:120],
    }
    ui.run_javascript(f"window.handoffNotify({json.dumps(note)})")


async def _toggle_sound(button: ui.button) -> None:
    await _ask_sound(button, "toggle")


async def _show_sound_state(button: ui.button) -> None:
    """Draw the toggle as this browser last left it (asked once the page connects)."""
    await _ask_sound(button, "enabled")


async def _ask_sound(button: ui.button, call: str) -> None:
    """Ask the browser for its sound setting (`enabled` or `toggle`) and draw the answer. A tab closed right
    after it connected never answers: the toggle keeps its drawing, and that is no error (NiceGUI's 1 s
    default logged one for every such tab, and a busy browser opening many tabs can take longer than that)."""
    with contextlib.suppress(TimeoutError):
        enabled = await ui.run_javascript(f"return window.handoffSound.{call}()", timeout=SOUND_STATE_SECONDS)
        _draw_sound(button, bool(enabled))


def _draw_sound(button: ui.button, enabled: bool) -> None:
    button.props(
        f"icon={'volume_up' if enabled else 'volume_off'} data-enabled={str(enabled).lower()} "
        f'aria-label="{"Sound on" if enabled else "Sound off"}"'
    )
