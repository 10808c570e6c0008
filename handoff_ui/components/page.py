"""Entering a console page: signed in or sent to log in, the frame drawn, admin pages refused to others."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.responses import RedirectResponse
from nicegui import ui

from handoff.core import Core
from handoff.views import AgentRef
from handoff_ui.components.frame import console_frame
from handoff_ui.live import Live
from handoff_ui.session import signed_in, to_login

ONLY_ADMINS = "Only admins can open this page."


async def enter(
    core: Core,
    live: Live,
    path: str,
    *,
    admins_only: bool = False,
    current: str | None = None,
    on_open: Callable[[str], None] | None = None,
) -> AgentRef | RedirectResponse | None:
    """The signed-in agent, with the frame drawn; a redirect to log in; or None when the page is for admins
    and the agent is not one (the refusal is drawn and none of the page's data is read). `on_open` opens a
    conversation named by a toast on this page (console_frame)."""
    agent = await signed_in(core)
    if agent is None:  # back to this very address after logging in: a shared search keeps its filters
        url = ui.context.client.request.url
        return to_login(url.path + (f"?{url.query}" if url.query else ""))
    await core.accounts.seen(agent.id)
    console_frame(live, agent, current or path, await core.accounts.preferences(agent.id), on_open=on_open)
    if admins_only and not agent.is_admin:
        with ui.column().classes("w-full q-pa-lg"):
            ui.label(ONLY_ADMINS).classes("text-h6").props("data-testid=only-admins role=alert")
        return None
    return agent


def bad_address(error: Exception, *, back: str, to: str) -> None:
    """A page's address holds a filter that is not one: say which, plainly, with a way back."""
    with ui.column().classes("q-pa-lg gap-2"):
        ui.label(str(error)).classes("text-negative").props("role=alert")
        ui.link(back, to)
