"""Retention: ended conversations older than an admin's number of days are deleted, with their messages,
flags, notes and search entries (the database's cascades and the search index's delete trigger); nothing
live is ever deleted. Off until an admin sets it; then run once a day (and once soon after each start)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import ColumnElement, delete, func, select

from handoff import records
from handoff.accounts import acting_admin
from handoff.errors import Invalid
from handoff.views import AgentRef
from models import Conversation, Database, Setting

log = logging.getLogger(__name__)
RETENTION_KEY = "retention_days"
MIN_DAYS, MAX_DAYS = 1, 3650
EVERY_SECONDS = 24 * 3600
FIRST_RUN_SECONDS = 60.0
BATCH = 500  # conversations deleted per transaction, so other writers never wait long


class Retention:
    def __init__(self, *, db: Database) -> None:
        self._db = db
        self._task: asyncio.Task[None] | None = None

    async def days(self) -> int | None:
        """How many days ended conversations are kept; None: for ever (the default)."""
        async with self._db.read() as session:
            setting = await session.get(Setting, RETENTION_KEY)
        return int(setting.value) if setting is not None and setting.value.isdigit() else None

    async def set_days(self, days: int | None, *, by: AgentRef | None) -> None:
        if days is not None and not MIN_DAYS <= days <= MAX_DAYS:
            raise Invalid(
                f"keep ended conversations {MIN_DAYS} to {MAX_DAYS} days, or for ever", field="days"
            )
        async with self._db.write() as session:
            acting = await acting_admin(session, by)
            setting = await session.get(Setting, RETENTION_KEY)
            before = setting.value if setting is not None else None
            if days is None:
                if setting is not None:
                    await session.delete(setting)
            elif setting is None:
                session.add(Setting(key=RETENTION_KEY, value=str(days)))
            else:
                setting.value = str(days)
            records.audit(
                session,
                action="retention_changed",
                account_id=acting.id if acting else None,
                before=before,
                after=days,
            )

    async def would_delete(self, days: int, *, by: AgentRef | None) -> int:
        """How many ended conversations are older than `days` (what a run would delete). Admins only."""
        async with self._db.read() as session:
            await acting_admin(session, by)
            return int(await session.scalar(select(func.count(Conversation.id)).where(*_expired(days))) or 0)

    async def run(self) -> int:
        """Delete what the setting says has expired; the number of conversations deleted."""
        days = await self.days()
        if days is None:
            return 0
        deleted = 0
        while True:
            async with self._db.write() as session:
                batch = list(
                    await session.scalars(select(Conversation.id).where(*_expired(days)).limit(BATCH))
                )
                if batch:
                    await session.execute(delete(Conversation).where(Conversation.id.in_(batch)))
                    records.audit(
                        session, action="retention_run", account_id=None, deleted=len(batch), days=days
                    )
            deleted += len(batch)
            if len(batch) < BATCH:
                break
        if deleted:
            log.info("retention: deleted %d ended conversations older than %d days", deleted, days)
        return deleted

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._daily())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _daily(self) -> None:
        await asyncio.sleep(FIRST_RUN_SECONDS)
        while True:
            try:
                await self.run()
            except Exception:  # a failed run is tried again tomorrow; it must not end the loop
                log.exception("retention run failed")
            await asyncio.sleep(EVERY_SECONDS)


def _expired(days: int) -> list[ColumnElement[bool]]:
    cutoff = records.utcnow() - timedelta(days=days)
    return [Conversation.ended_at.is_not(None), Conversation.ended_at < cutoff]
