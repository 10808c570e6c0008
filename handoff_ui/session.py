"""Who is signed in: the console account kept in the browser's signed session."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import app

from handoff.core import Core
from handoff.views import AgentRef

ACCOUNT_KEY = "account_id"


async def signed_in(core: Core) -> AgentRef | None:
    """The signed-in, still active account, or None."""
    account_id = app.storage.user.get(ACCOUNT_KEY)
    if not isinstance(account_id, int):
        return None
    return await core.accounts.get(account_id)


def to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def sign_in(agent: AgentRef) -> None:
    app.storage.user[ACCOUNT_KEY] = agent.id


def sign_out() -> None:
    app.storage.user.pop(ACCOUNT_KEY, None)
