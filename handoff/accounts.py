"""Console accounts: adding them, roles, passwords, deactivation, preferences, and who may administer.

Every function that changes someone else's account needs an admin, checked against the database in the
same transaction (a page opened before its agent was demoted still holds the old role). `agent=None` is the
operator at the shell (`main.py agent ...`), who may do everything.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import login_throttle, outbox, records
from handoff.bus import EventBus
from handoff.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from handoff.events import AccountChanged, Event, PreferencesChanged
from handoff.handoffs import release_held
from handoff.views import AccountView, AgentRef, Preferences
from models import Account, Database, Setting

SESSION_SECRET_KEY = "session_secret"
MIN_PASSWORD = 8
SEEN_EVERY = timedelta(minutes=1)  # last seen is written at most this often per account
ADMIN_ONLY = "only admins can do this"
Role = Literal["admin", "agent"]


@dataclass(frozen=True, slots=True)
class FirstAdmin:
    email: str
    generated_password: str | None


async def acting_admin(session: AsyncSession, agent: AgentRef | None) -> Account | None:
    """The acting admin's account, read in this transaction; None for the operator at the shell. Forbidden
    for an agent who is not (or no longer) an active admin."""
    if agent is None:
        return None
    account = await session.get(Account, agent.id)
    if account is None or not account.active or account.role != "admin":
        raise Forbidden(ADMIN_ONLY)
    return account


def check_password(password: str, *, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a password needs at least {MIN_PASSWORD} characters", field=field)


def generated_password() -> str:
    return secrets.token_urlsafe(12)


class Accounts:
    """Each changing method is one transaction, with an `AccountChanged` event after commit."""

    def __init__(self, *, db: Database, bus: EventBus | None = None) -> None:
        self._db = db
        self._bus = bus
        self._hasher = PasswordHasher()

    # -- adding and signing in ---------------------------------------------------------------------------

    async def add(
        self,
        *,
        email: str,
        name: str,
        password: str,
        admin: bool = False,
        by: AgentRef | None = None,
    ) -> AgentRef:
        """Create a console account; its display name is what other agents see. Admins only (`by`)."""
        email = email.strip().lower()
        if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 320:
            raise Invalid("an email address is needed", field="email")
        _check_name(name)
        check_password(password)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        try:
            async with self._db.write() as session:
                acting = await acting_admin(session, by)
                account = Account(
                    email=email,
                    display_name=name.strip(),
                    password_hash=password_hash,
                    role="admin" if admin else "agent",
                    active=True,
                    created_at=records.utcnow(),
                )
                session.add(account)
                await session.flush()
                records.audit(
                    session,
                    action="account_added",
                    account_id=acting.id if acting else None,
                    target_account_id=account.id,
                    after={"email": email, "name": account.display_name, "role": account.role},
                )
                view = records.account_view(account)
        except IntegrityError:
            raise Conflict(f"an account for {email} already exists") from None
        await self._publish([AccountChanged(view, by.id if by else None)])
        return view.ref()

    async def authenticate(self, *, email: str, password: str, address: str | None = None) -> AgentRef:
        """The account for these credentials, or Unauthorized (the same for a wrong email or password), or
        TooManyAttempts while this email or address is throttled (`login_throttle`). Each attempt lands in
        the audit log ("login", "login_failed" or "login_throttled", with the address it came from)."""
        email = email.strip().lower()[:320]
        async with self._db.read() as session:
            wait = await login_throttle.locked_for(
                session, email=email, address=address, now=records.utcnow()
            )
            account = await session.scalar(select(Account).where(Account.email == email))
        if wait is not None:  # before the password is looked at: the right one is refused too
            async with self._db.write() as session:
                records.audit(
                    session, action=login_throttle.THROTTLED, account_id=None, email=email, address=address
                )
            raise login_throttle.TooManyAttempts(wait)
        if account is None or not account.active:
            await asyncio.to_thread(self._hasher.hash, password)  # same cost either way
            await self._audit_login(None, email, address)
            raise Unauthorized("wrong email or password")
        if not await self._matches(account.password_hash, password):
            await self._audit_login(None, email, address)
            raise Unauthorized("wrong email or password")
        await self._audit_login(account.id, email, address)
        return records.account_view(account).ref()

    async def _audit_login(self, account_id: int | None, email: str, address: str | None) -> None:
        async with self._db.write() as session:
            records.audit(
                session,
                action="login" if account_id is not None else login_throttle.FAILED,
                account_id=account_id,
                email=email,
                address=address,
            )

    async def session_key(self, account_id: int) -> str:
        """What a console session keeps beside the account id: it changes with the password, so resetting
        or changing it ends every session of the account."""
        async with self._db.read() as session:
            query = select(Account.password_hash).where(Account.id == account_id)
            password_hash = await session.scalar(query)
        if password_hash is None:
            raise NotFound("no such account")
        return _session_key(password_hash)

    async def for_session(self, account_id: int, key: str) -> AgentRef | None:
        """The active account of a console session whose key is still valid, or None."""
        async with self._db.read() as session:
            account = await session.get(Account, account_id)
        if account is None or not account.active:
            return None
        if not hmac.compare_digest(_session_key(account.password_hash), key):
            return None
        return records.account_view(account).ref()

    async def get(self, account_id: int) -> AgentRef | None:
        async with self._db.read() as session:
            account = await session.get(Account, account_id)
            return records.account_view(account).ref() if account and account.active else None

    async def seen(self, account_id: int) -> None:
        """Note that the account is using the console now (written at most once a minute)."""
        now = records.utcnow()
        async with self._db.read() as session:
            last = await session.scalar(select(Account.last_seen_at).where(Account.id == account_id))
        if last is not None and now - last < SEEN_EVERY:
            return
        async with self._db.write() as session:
            account = await session.get(Account, account_id)
            if account is not None:
                account.last_seen_at = now

    # -- the Team page (admins) --------------------------------------------------------------------------

    async def all(self, *, by: AgentRef | None) -> list[AccountView]:
        """Every account, admins first, then by name."""
        async with self._db.read() as session:
            await acting_admin(session, by)
            accounts = await session.scalars(select(Account).order_by(Account.role, Account.display_name))
            return [records.account_view(a) for a in accounts]

    async def set_role(self, *, account_id: int, role: Role, by: AgentRef | None) -> AccountView:
        if role not in ("admin", "agent"):
            raise Invalid('a role is "admin" or "agent"', field="role")
        return await self._change(
            account_id, by, action="role_changed", change=lambda s, a, _e: _set_role(s, a, role)
        )

    async def reset_password(self, *, account_id: int, by: AgentRef | None) -> str:
        """Give the account a new generated password (returned, to show once); its open pages sign out."""
        password = generated_password()
        password_hash = await asyncio.to_thread(self._hasher.hash, password)

        async def change(_session: AsyncSession, account: Account, _events: list[Event]) -> dict[str, Any]:
            account.password_hash = password_hash
            return {}

        await self._change(account_id, by, action="password_reset", change=change, signs_out=True)
        return password

    async def deactivate(self, *, account_id: int, by: AgentRef | None) -> AccountView:
        """The account can no longer log in, every page it has open signs out, and each conversation it
        held is released for a colleague, the customer told. The last active admin stays."""

        async def change(session: AsyncSession, account: Account, events: list[Event]) -> dict[str, Any]:
            if account.role == "admin" and account.active:
                await _keep_an_admin(session, account)
            account.active = False
            events += await release_held(session, account)
            return {"active": {"before": True, "after": False}}

        return await self._change(account_id, by, action="account_deactivated", change=change, signs_out=True)

    async def reactivate(self, *, account_id: int, by: AgentRef | None) -> AccountView:
        async def change(_session: AsyncSession, account: Account, _events: list[Event]) -> dict[str, Any]:
            account.active = True
            return {"active": {"before": False, "after": True}}

        return await self._change(account_id, by, action="account_reactivated", change=change)

    # -- /account (everyone, for themselves) -------------------------------------------------------------

    async def rename(self, *, agent: AgentRef, name: str) -> AgentRef:
        _check_name(name)

        async def change(_session: AsyncSession, account: Account, _events: list[Event]) -> dict[str, Any]:
            before, account.display_name = account.display_name, name.strip()
            return {"name": {"before": before, "after": account.display_name}}

        return (await self._change(agent.id, None, action="name_changed", change=change, own=agent)).ref()

    async def change_password(self, *, agent: AgentRef, current: str, new: str) -> None:
        """Change one's own password; the current one is asked, so a tab left open can't be used to."""
        check_password(new, field="new_password")
        async with self._db.read() as session:
            account = await session.get(Account, agent.id)
        if account is None or not account.active:
            raise Forbidden("this console account is not active")
        if not await self._matches(account.password_hash, current):
            raise Invalid("the current password is not right", field="current_password")
        password_hash = await asyncio.to_thread(self._hasher.hash, new)

        async def change(_session: AsyncSession, stored: Account, _events: list[Event]) -> dict[str, Any]:
            stored.password_hash = password_hash
            return {}

        await self._change(agent.id, None, action="password_changed", change=change, own=agent)

    async def preferences(self, account_id: int) -> Preferences:
        async with self._db.read() as session:
            stored = await session.scalar(select(Account.preferences).where(Account.id == account_id))
        return Preferences.from_stored(cast(dict[str, Any] | None, stored))

    async def set_preferences(self, *, agent: AgentRef, preferences: Preferences) -> Preferences:
        cleaned = Preferences.from_stored(preferences.stored())

        async def change(_session: AsyncSession, account: Account, events: list[Event]) -> dict[str, Any]:
            account.preferences = cleaned.stored()
            events.append(PreferencesChanged(account.id, cleaned))  # every tab of the agent follows
            return {}

        await self._change(agent.id, None, action="preferences_changed", change=change, own=agent)
        return cleaned

    # -- server ------------------------------------------------------------------------------------------

    async def ensure_first_admin(self, *, email: str | None, password: str | None) -> FirstAdmin | None:
        """On an empty database create the first admin; a generated password is returned to print once."""
        async with self._db.read() as session:
            if await session.scalar(select(func.count()).select_from(Account)):
                return None
        email = email or "admin@localhost"
        generated = None if password else generated_password()
        await self.add(email=email, name="Admin", password=password or cast(str, generated), admin=True)
        return FirstAdmin(email=email, generated_password=generated)

    async def session_secret(self) -> str:
        """The secret that signs console sessions, generated once and kept so sessions survive restarts."""
        async with self._db.write() as session:
            setting = await session.get(Setting, SESSION_SECRET_KEY)
            if setting is None:
                setting = Setting(key=SESSION_SECRET_KEY, value=secrets.token_urlsafe(48))
                session.add(setting)
            return setting.value

    # -- helpers -----------------------------------------------------------------------------------------

    async def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return await asyncio.to_thread(self._hasher.verify, password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            return False

    async def _change(
        self,
        account_id: int,
        by: AgentRef | None,
        *,
        action: str,
        change: Callable[[AsyncSession, Account, list[Event]], Awaitable[dict[str, Any]]],
        signs_out: bool = False,
        own: AgentRef | None = None,
    ) -> AccountView:
        """Lock the account, apply `change` (which returns the audited before/after values), audit, commit,
        then publish. `own` is an agent changing their own account (no admin needed)."""
        events: list[Event] = []
        async with self._db.write() as session:
            acting = None if own is not None else await acting_admin(session, by)
            account = await session.get(Account, account_id, with_for_update=True)
            if account is None:
                raise NotFound("no such account")
            if own is not None and not account.active:
                raise Forbidden("this console account is not active")
            details = await change(session, account, events)
            records.audit(
                session,
                action=action,
                account_id=own.id if own is not None else (acting.id if acting else None),
                target_account_id=account.id,
                **details,
            )
            view = records.account_view(account)
            await outbox.stage_async(session, events)
        by_id = own.id if own is not None else (by.id if by else None)
        await self._publish([*events, AccountChanged(view, by_id, signed_out=signs_out)])
        return view

    async def _publish(self, events: list[Event]) -> None:
        if self._bus is None:
            return
        for event in events:
            await self._bus.publish(event)


async def _set_role(session: AsyncSession, account: Account, role: Role) -> dict[str, Any]:
    if account.role == "admin" and role != "admin" and account.active:
        await _keep_an_admin(session, account)
    before, account.role = account.role, role
    return {"role": {"before": before, "after": role}}


async def _keep_an_admin(session: AsyncSession, account: Account) -> None:
    others = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.role == "admin", Account.active.is_(True), Account.id != account.id)
    )
    if not others:
        raise Conflict("the last active admin can't be demoted or deactivated")


def _session_key(password_hash: str) -> str:
    return hashlib.sha256(b"handoff console session\0" + password_hash.encode()).hexdigest()[:32]


def _check_name(name: str) -> None:
    if not name.strip():
        raise Invalid("a display name is needed", field="name")
    if len(name.strip()) > 200:
        raise Invalid("a display name is at most 200 characters", field="name")
    if (bad := records.unstorable(name)) is not None:
        raise Invalid(f"a display name must not contain {bad}", field="name")
