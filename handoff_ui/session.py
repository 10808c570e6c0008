"""Who is signed in: the console account kept in the browser's signed session.

The session holds the account's id and its session key (`Accounts.session_key`), which changes with the
account's password: a reset or changed password, like a deactivation, ends every session at once.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import app

from handoff.core import Core
from handoff.views import AgentRef

ACCOUNT_KEY = "account_id"
SESSION_KEY = "account_session"


async def signed_in(core: Core) -> AgentRef | None:
    """The signed-in, still active account whose session is still valid, or None."""
    account_id = app.storage.user.get(ACCOUNT_KEY)
    key = app.storage.user.get(SESSION_KEY)
    if not isinstance(account_id, int) or not isinstance(key, str):
        return None
    return await core.accounts.for_session(account_id, key)


def safe_next(path: str | None) -> str:
    """Only a path on this site (never another host) is followed after logging in."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/handoff"


def to_login(path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def sign_in(agent: AgentRef, key: str) -> None:
    app.storage.user[ACCOUNT_KEY] = agent.id
    app.storage.user[SESSION_KEY] = key


def sign_out() -> None:
    app.storage.user.pop(ACCOUNT_KEY, None)
    app.storage.user.pop(SESSION_KEY, None)
