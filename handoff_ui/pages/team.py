"""/team (admins): the console's accounts, their role, last seen and whether online; "Add agent", role
changes, "Reset password", "Deactivate"."""

from __future__ import annotations

from nicegui import ui

from handoff.accounts import generated_password
from handoff.core import Core
from handoff.errors import HandoffError
from handoff.events import AccountChanged
from handoff.views import AccountView, AgentRef
from handoff_ui.cards import relative_time
from handoff_ui.components.confirm import confirm
from handoff_ui.components.form import UnsavedGuard
from handoff_ui.components.page import enter
from handoff_ui.components.secrets import show_once
from handoff_ui.live import Live
from handoff_ui.words import CANCEL, ROLE_NAMES, SAVE


class TeamPage:
    def __init__(self, core: Core, live: Live, agent: AgentRef) -> None:
        self._core = core
        self._live = live
        self._agent = agent
        self._accounts: dict[int, AccountView] = {}  # kept current from the events

    async def build(self) -> None:
        self._accounts = {a.id: a for a in await self._core.accounts.all(by=self._agent)}
        with ui.column().classes("w-full max-w-4xl q-pa-lg gap-4"):
            with ui.row().classes("w-full items-center"):
                ui.label("Team").classes("text-h5")
                ui.space()
                ui.button("Add agent", icon="person_add", on_click=self._open_add).props("no-caps")
            self._rows = ui.column().classes("w-full gap-2")
        self._draw()
        self._build_add()
        self._live.account_changed.subscribe(self._on_changed)
        # Who is online changes often (every tab that opens or closes): only the badges follow it. Redrawing
        # the rows deleted an open confirmation dialog (it lives in its row) from under the admin's click.
        self._live.online_changed.subscribe(lambda _event: self._show_online())

    def _draw(self) -> None:
        """Admins first, then by name, as the core lists them."""
        self._rows.clear()
        self._online_badges: dict[int, ui.badge] = {}
        with self._rows:
            for account in sorted(self._accounts.values(), key=lambda a: (a.role, a.display_name)):
                self._row(account)

    def _show_online(self) -> None:
        online = {viewer.id for viewer in self._live.online}
        for account_id, online_badge in self._online_badges.items():
            online_badge.set_visibility(account_id in online)

    def _row(self, account: AccountView) -> None:
        card = ui.card().classes("w-full q-pa-sm").props("data-testid=account-row")
        card.props["data-email"] = account.email  # set, not parsed: an address may hold any character
        card.props["data-active"] = str(account.active).lower()
        with card, ui.row().classes("w-full items-center gap-3"):
            ui.label(account.display_name).classes("font-bold")
            ui.label(account.email).classes("text-grey-8")
            if not account.active:
                ui.badge("Deactivated", color="grey")
            else:
                online = self._online_badges[account.id] = ui.badge("Online", color="positive")
                online.props("data-testid=online")
                online.set_visibility(any(viewer.id == account.id for viewer in self._live.online))
            seen = relative_time(account.last_seen_at) if account.last_seen_at else "never"
            ui.label(f"last seen {seen}").classes("text-grey-7 text-sm")
            ui.space()
            role = ui.select(ROLE_NAMES, value=account.role, label="Role").props("dense outlined")
            role.classes("w-32")
            role.on_value_change(lambda event, a=account: self._set_role(a, event.value))
            if account.active:
                ui.button("Reset password", on_click=lambda a=account: self._reset(a)).props(
                    "flat dense no-caps"
                )
                ui.button("Deactivate", on_click=lambda a=account: self._deactivate(a)).props(
                    "flat dense no-caps color=negative"
                )
            else:
                ui.button("Reactivate", on_click=lambda a=account: self._reactivate(a)).props(
                    "flat dense no-caps"
                )

    def _on_changed(self, event: AccountChanged) -> None:
        self._accounts[event.account.id] = event.account
        self._draw()

    async def _set_role(self, account: AccountView, role: str) -> None:
        if role == account.role:
            return
        try:
            await self._core.accounts.set_role(account_id=account.id, role=role, by=self._agent)  # type: ignore[arg-type]
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            self._draw()  # the role shown goes back to the one the account has

    async def _reset(self, account: AccountView) -> None:
        title = f"Give {account.display_name} a new password?"
        if not await confirm(title, "Their open pages sign out.", action="Reset password", danger=True):
            return
        try:
            password = await self._core.accounts.reset_password(account_id=account.id, by=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        show_once(f"{account.display_name}'s new password", password)

    async def _deactivate(self, account: AccountView) -> None:
        question = (
            f"Deactivate {account.display_name}? They can no longer log in, every page they have open signs "
            "out, and the conversations they hold are released, each customer told."
        )
        if not await confirm(question, action="Deactivate", danger=True):
            return
        try:
            await self._core.accounts.deactivate(account_id=account.id, by=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")

    async def _reactivate(self, account: AccountView) -> None:
        try:
            await self._core.accounts.reactivate(account_id=account.id, by=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")

    # -- Add agent ---------------------------------------------------------------------------------------

    def _build_add(self) -> None:
        with ui.dialog() as self._dialog, ui.card().classes("w-96").props("data-testid=add-agent"):
            ui.label("Add agent").classes("text-h6")
            self.guard = guard = UnsavedGuard()
            self._email = guard.track(ui.input("Email").props("outlined type=email"), field="email")
            self._name = guard.track(ui.input("Name").props("outlined"), field="name")
            self._password = guard.track(ui.input("Password").props("outlined"), field="password")
            ui.button(
                "Generate a password", on_click=lambda: self._password.set_value(generated_password())
            ).props("flat dense no-caps")
            self._role = guard.track(ui.select(ROLE_NAMES, value="agent", label="Role").props("outlined"))
            with ui.row().classes("w-full justify-end"):
                ui.button(CANCEL, on_click=self._close_add).props("flat no-caps")
                guard.save_button(ui.button(SAVE, on_click=self._add).props("no-caps"))

    def _open_add(self) -> None:
        self._dialog.open()

    def _close_add(self) -> None:
        for element, value in (
            (self._email, ""),
            (self._name, ""),
            (self._password, ""),
            (self._role, "agent"),
        ):
            self.guard.reset(element, value)
        self.guard.saved()
        self._dialog.close()

    async def _add(self) -> None:
        password = self._password.value or ""
        try:
            await self._core.accounts.add(
                email=self._email.value or "",
                name=self._name.value or "",
                password=password,
                admin=self._role.value == "admin",
                by=self._agent,
            )
        except HandoffError as error:
            self.guard.show_error(error)
            return
        name = self._name.value
        self._close_add()
        show_once(f"{name}'s password", password)


def register(core: Core, live: Live) -> None:
    @ui.page("/team", title="Team · Handoff")
    async def team_page() -> object:
        agent = await enter(core, live, "/team", admins_only=True)
        if not isinstance(agent, AgentRef):
            return agent
        await TeamPage(core, live, agent).build()
        return None
