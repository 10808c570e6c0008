"""Login throttling, on both databases: 10 failed logins for one email or from one address within 15 minutes
lock further tries, the right password included, with the same message whether the account exists; every
try is in the audit log; the lock ends when the failures leave the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handoff.core import Core
from handoff.errors import Unauthorized
from handoff.login_throttle import LIMIT, TooManyAttempts
from handoff.views import AgentRef
from models import AuditEntry

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
RIGHT = "password-1"


async def fail(core: Core, email: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized):
            await core.accounts.authenticate(email=email, password="wrong guess", address=address)


async def audited(core: Core, action: str) -> int:
    async with core.db.read() as session:
        return int(await session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


@BACKENDS
async def test_ten_failures_for_one_email_lock_it_even_for_the_right_password(
    core: Core, alice: AgentRef
) -> None:
    await fail(core, "alice@example.com", "198.51.100.1", LIMIT - 1)
    assert await core.accounts.authenticate(email="alice@example.com", password=RIGHT, address="198.51.100.1")
    await fail(core, "Alice@Example.com", "198.51.100.2")  # the tenth, from elsewhere, in another case
    with pytest.raises(TooManyAttempts) as refused:
        await core.accounts.authenticate(email="alice@example.com", password=RIGHT, address="198.51.100.3")
    assert str(refused.value) == "Too many failed attempts. Try again in 15 minutes."
    assert timedelta(minutes=14) < refused.value.retry_after <= timedelta(minutes=15)
    assert await audited(core, "login_failed") == LIMIT
    assert await audited(core, "login_throttled") == 1
    # Another account is not locked by alice's failures.
    await core.accounts.add(email="bea@example.com", name="Bea", password="password-9")
    assert await core.accounts.authenticate(
        email="bea@example.com", password="password-9", address="198.51.100.4"
    )


@BACKENDS
async def test_an_unknown_email_is_locked_with_the_same_words(core: Core, alice: AgentRef) -> None:
    await fail(core, "nobody@example.com", "198.51.100.1", LIMIT)
    with pytest.raises(TooManyAttempts) as unknown:
        await core.accounts.authenticate(email="nobody@example.com", password="x", address="198.51.100.9")
    for n in range(LIMIT):  # alice's own email, each failure from another address
        await fail(core, "alice@example.com", f"192.0.2.{n}")
    with pytest.raises(TooManyAttempts) as known:
        await core.accounts.authenticate(email="alice@example.com", password=RIGHT, address="192.0.2.200")
    assert str(unknown.value) == str(known.value)


@BACKENDS
async def test_ten_failures_from_one_address_lock_it_for_every_email(core: Core, alice: AgentRef) -> None:
    for n in range(LIMIT):
        await fail(core, f"guess{n}@example.com", "203.0.113.7")
    with pytest.raises(TooManyAttempts):
        await core.accounts.authenticate(email="alice@example.com", password=RIGHT, address="203.0.113.7")
    assert await core.accounts.authenticate(email="alice@example.com", password=RIGHT, address="203.0.113.8")


@BACKENDS
async def test_the_lock_ends_when_the_failures_leave_the_window_and_refusals_do_not_extend_it(
    core: Core, alice: AgentRef
) -> None:
    await fail(core, "alice@example.com", "198.51.100.1", LIMIT)
    for _ in range(5):  # refused tries are audited but do not count
        with pytest.raises(TooManyAttempts):
            await core.accounts.authenticate(
                email="alice@example.com", password=RIGHT, address="198.51.100.1"
            )
    async with core.db.write() as session:  # 15 minutes pass for the failures
        for entry in await session.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")):
            entry.at -= timedelta(minutes=15, seconds=1)
    assert await core.accounts.authenticate(email="alice@example.com", password=RIGHT, address="198.51.100.1")
