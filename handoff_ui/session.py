"""Who is signed in: the console account kept in the browser's server-side storage.

NiceGUI keys each browser's storage (`app.storage.user`, on the server) by the id in its signed session
cookie. The storage holds the account's id and its session key (`Accounts.session_key`), which changes with
the account's password: a reset or changed password, like a deactivation, ends every session at once, and
logging out empties the storage, so the old cookie opens nothing.

Logging in gives the browser a new id (no session fixation: an id planted in a victim's browser before the
login never becomes a signed-in one). The login form runs over the page's socket, which can't set a cookie,
so it leaves a one-time grant in the storage and sends the browser to COMPLETE with the grant's nonce; two
HTTP steps there move the grant to a new id (the first sets the new id in the cookie; the second, under that
id, whose storage NiceGUI creates as the request arrives, signs in) and go on to the page asked for.
"""

from __future__ import annotations

import hmac
import secrets
import time
import uuid
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app

from handoff.core import Core
from handoff.views import AgentRef

ACCOUNT_KEY = "account_id"
SESSION_KEY = "account_session"
GRANT_KEY = "login_grant"
COMPLETE = "/login/complete"
GRANT_SECONDS = 60.0  # a grant not used within this is void


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
    """Sign this browser in under its present id (the account page, after the agent's own new password)."""
    app.storage.user[ACCOUNT_KEY] = agent.id
    app.storage.user[SESSION_KEY] = key


def grant_login(agent: AgentRef, key: str, next_path: str | None) -> str:
    """After a right password on the login form: leave a one-time grant in this browser's storage and return
    the address that completes the login under a new id."""
    nonce = secrets.token_urlsafe(24)
    app.storage.user[GRANT_KEY] = {
        "nonce": nonce,
        "account": agent.id,
        "key": key,
        "next": safe_next(next_path),
        "until": time.time() + GRANT_SECONDS,
    }
    return f"{COMPLETE}?nonce={nonce}"


def register_login_completion() -> None:
    @app.get(COMPLETE, include_in_schema=False)
    def complete(request: Request, nonce: str = "") -> RedirectResponse:
        if nonce:  # step 1, under the old id: take the grant out of its storage, into the signed cookie
            grant = app.storage.user.pop(GRANT_KEY, None)
            if not _valid(grant) or not hmac.compare_digest(str(grant["nonce"]), nonce):
                return RedirectResponse("/login", status_code=303)
            sign_out()
            request.session["id"] = str(uuid.uuid4())
            request.session[GRANT_KEY] = grant
            return RedirectResponse(COMPLETE, status_code=303)
        grant = request.session.pop(GRANT_KEY, None)  # step 2, under the new id
        if not _valid(grant):
            return RedirectResponse("/login", status_code=303)
        app.storage.user[ACCOUNT_KEY] = grant["account"]
        app.storage.user[SESSION_KEY] = grant["key"]
        return RedirectResponse(safe_next(grant["next"]), status_code=303)


def _valid(grant: Any) -> bool:
    return isinstance(grant, dict) and isinstance(grant.get("until"), float) and grant["until"] > time.time()


def sign_out() -> None:
    for key in (ACCOUNT_KEY, SESSION_KEY, GRANT_KEY):
        app.storage.user.pop(key, None)
