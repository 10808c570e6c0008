"""Who may open which console page, as one table: every page against no one signed in, a plain agent, an
account deactivated after it signed in, and an admin. Only the right reader gets in, and a refusal shows
none of the page's data (the admin functions behind the pages are refused in the core: test_admin.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from nicegui import ui
from nicegui.testing import User

from handoff.core import Core
from handoff_ui.components.page import ONLY_ADMINS
from handoff_ui.live import Live
from tests.ui.conftest import log_in

SECRET_SERVICE = "Secret Shop"
SECRET_TEXT = "Where is parcel 4711?"
SECRET_AGENT = "zoe@example.com"
LOGIN_WORDS = "Log in to the agent console"
SECRET_HOOK = "http://127.0.0.1:9/secret-endpoint"


@dataclass(frozen=True)
class Page:
    path: str
    admins_only: bool
    shows: str  # what the page shows to a reader it lets in: absent from every refusal


PAGES = (
    Page("/handoff", False, SECRET_TEXT),
    Page("/conversations", False, SECRET_TEXT),
    Page("/conversations/{cid}", False, SECRET_TEXT),
    Page("/reports", False, "Flags by kind"),
    Page("/help", False, "Needs Attention"),
    Page("/account", False, "Notifications"),
    Page("/services", True, SECRET_SERVICE),
    Page("/services/shop", True, SECRET_SERVICE),
    Page("/services/shop/knowledge", True, SECRET_SERVICE),
    Page("/team", True, SECRET_AGENT),
    Page("/audit", True, "account_added"),
    Page("/settings", True, "Data retention"),
    Page("/webhooks", True, SECRET_HOOK),
)


async def seeded(core: Core) -> str:
    await core.services.add(slug="shop", name=SECRET_SERVICE, answered_by="knowledge")
    await core.accounts.add(email=SECRET_AGENT, name="Zoe", password="password-1")
    cid = (await core.conversations.start(service_slug="shop", text=SECRET_TEXT)).conversation.id
    core.webhooks._guard.allow_private = True  # the hook is never called: nothing happens after it is added
    await core.webhooks.add(url=SECRET_HOOK, by=None)
    return cid


async def refused_with_the_login(user: User, page: Page, path: str) -> None:
    await user.open(path)
    await user.should_see(LOGIN_WORDS)
    await user.should_not_see(page.shows)
    await user.should_not_see(SECRET_TEXT)


@pytest.mark.parametrize("reader", ["no one", "plain agent", "deactivated agent", "admin"])
async def test_every_console_page_opens_only_for_its_readers(
    user: User, console: tuple[Core, Live], reader: str
) -> None:
    core, _ = console
    cid = await seeded(core)
    if reader == "no one":
        for page in PAGES:
            await refused_with_the_login(user, page, page.path.format(cid=cid))
        return
    agent = await log_in(user, core, admin=reader == "admin")
    if reader == "deactivated agent":
        admin = await core.accounts.add(
            email="root@example.com", name="Root", password="password-1", admin=True
        )
        await core.accounts.deactivate(account_id=agent.id, by=admin)
        for page in PAGES:  # the cookie of the ended session opens nothing
            await refused_with_the_login(user, page, page.path.format(cid=cid))
        return
    for page in PAGES:
        await user.open(page.path.format(cid=cid))
        if page.admins_only and reader == "plain agent":
            await user.should_see(ONLY_ADMINS)
            await user.should_not_see(page.shows)
            await user.should_not_see(SECRET_SERVICE)
            await user.should_not_see("Save", kind=ui.button)
        else:
            await user.should_not_see(ONLY_ADMINS)
            await user.should_see(page.shows)
