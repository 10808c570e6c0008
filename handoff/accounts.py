"""Console accounts, passwords, the first admin and the server's persisted session secret."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from handoff import records
from handoff.errors import Conflict, Invalid, Unauthorized
from handoff.views import AgentRef
from models import Account, Database, Setting

SESSION_SECRET_KEY = "session_secret"


@dataclass(frozen=True, slots=True)
class FirstAdmin:
    email: str
    generated_password: str | None


class Accounts:
    def __init__(self, *, db: Database) -> None:
        self._db = db
        self._hasher = PasswordHasher()

    async def add(self, *, email: str, name: str, password: str, admin: bool = False) -> AgentRef:
        """Create a console account; its display name is what other agents see."""
        email = email.strip().lower()
        if "@" not in email:
            raise Invalid("an email address is needed")
        if not name.strip():
            raise Invalid("a display name is needed")
        if len(password) < 8:
            raise Invalid("a password needs at least 8 characters")
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        try:
            async with self._db.write() as session:
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
                return _ref(account)
        except IntegrityError:
            raise Conflict(f"an account for {email} already exists") from None

    async def authenticate(self, *, email: str, password: str) -> AgentRef:
        """The account for these credentials, or Unauthorized (the same for a wrong email or password)."""
        async with self._db.read() as session:
            account = await session.scalar(select(Account).where(Account.email == email.strip().lower()))
        if account is None or not account.active:
            await asyncio.to_thread(self._hasher.hash, password)  # same cost either way
            raise Unauthorized("wrong email or password")
        try:
            await asyncio.to_thread(self._hasher.verify, account.password_hash, password)
        except (VerifyMismatchError, InvalidHashError):
            raise Unauthorized("wrong email or password") from None
        return _ref(account)

    async def get(self, account_id: int) -> AgentRef | None:
        async with self._db.read() as session:
            account = await session.get(Account, account_id)
            return _ref(account) if account and account.active else None

    async def ensure_first_admin(self, *, email: str | None, password: str | None) -> FirstAdmin | None:
        """On an empty database create the first admin; a generated password is returned to print once."""
        async with self._db.read() as session:
            if await session.scalar(select(func.count()).select_from(Account)):
                return None
        email = email or "admin@localhost"
        generated = None if password else secrets.token_urlsafe(12)
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


def _ref(account: Account) -> AgentRef:
    return AgentRef(
        id=account.id, display_name=account.display_name, role="admin" if account.role == "admin" else "agent"
    )
