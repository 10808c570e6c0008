"""Login throttling: after LIMIT failed logins for one email or from one address within WINDOW, further tries
are refused until enough of those failures have aged out of the window, whatever the password.

The failures are the audit log's own "login_failed" rows (every one is kept there anyway), so the count is the
same for every process on one database, survives restarts, and needs no table of its own. A refused try is
audited as "login_throttled" and does not count: the lock ends WINDOW after the failures that caused it,
so the owner of a guessed-at account is locked out for a while, not for as long as the guessing goes on.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import HandoffError
from models import AuditEntry

LIMIT = 10
WINDOW = timedelta(minutes=15)
FAILED = "login_failed"
THROTTLED = "login_throttled"


class TooManyAttempts(HandoffError):
    """Too many failed logins for this email or from this address: try again after `retry_after`. Says the
    same whether or not the account exists."""

    def __init__(self, retry_after: timedelta) -> None:
        minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"Too many failed attempts. Try again in {minutes} {unit}.")
        self.retry_after = retry_after


async def locked_for(
    session: AsyncSession, *, email: str, address: str | None, now: datetime
) -> timedelta | None:
    """How long logins for `email` or from `address` stay refused, or None if they may try now."""
    longest: timedelta | None = None
    keys: list[ColumnElement[bool]] = [AuditEntry.details["email"].as_string() == email]
    if address:
        keys.append(AuditEntry.details["address"].as_string() == address)
    for key in keys:
        failures = await session.scalars(
            select(AuditEntry.at)
            .where(AuditEntry.action == FAILED, AuditEntry.at > now - WINDOW, key)
            .order_by(AuditEntry.at.desc())
            .limit(LIMIT)
        )
        times = list(failures)
        if len(times) >= LIMIT:
            # Open again when the oldest of the last LIMIT failures leaves the window.
            wait = times[-1] + WINDOW - now
            longest = wait if longest is None or wait > longest else longest
    return longest
