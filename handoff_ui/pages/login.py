"""/login: email and password; the session is signed and survives server restarts."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.login_throttle import TooManyAttempts
from handoff_ui.components.submit import Typed, on_submit
from handoff_ui.session import grant_login, register_login_completion, sign_out


def register(core: Core) -> None:
    register_login_completion()

    @ui.page("/logout", title="Log out · Handoff")
    def logout() -> RedirectResponse:
        sign_out()
        return RedirectResponse("/login", status_code=303)

    @ui.page("/login", title="Log in · Handoff")
    def login(request: Request, next: str | None = None) -> None:
        peer = request.client.host if request.client else None
        address = core.locator.client_address(peer, request.headers.get("x-forwarded-for"))

        async def submit(typed: Typed) -> None:
            error.set_text("")
            try:
                agent = await core.accounts.authenticate(
                    email=typed["email"], password=typed["password"], address=address
                )
            except HandoffError as refused:  # a throttled login says so; any other refusal says the same
                error.set_text(
                    str(refused) if isinstance(refused, TooManyAttempts) else "Wrong email or password."
                )
                password.value = ""
                return
            ui.navigate.to(grant_login(agent, await core.accounts.session_key(agent.id), next))

        with ui.card().classes("absolute-center w-96 q-pa-lg gap-3"):
            ui.label("Handoff").classes("text-h5")
            ui.label("Log in to the agent console").classes("text-grey-8")
            email = ui.input("Email").props("type=email autocomplete=username outlined").classes("w-full")
            password = ui.input("Password", password=True).props("autocomplete=current-password outlined")
            error = ui.label().classes("text-negative").props("role=alert")
            button = ui.button("Log in").classes("w-full").props("no-caps")
            password.classes("w-full")
        on_submit(
            [(button, "click"), (password, "keydown.enter")], {"email": email, "password": password}, submit
        )
