"""The audit log as admins read it: every agent action (take over, send, release, resume, dismiss, notes,
mode, settings and account changes, logins and failed logins) with who, when, what and from where. Admins
only, refused in the core."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select

from handoff.accounts import acting_admin
from handoff.errors import Invalid
from handoff.views import AgentRef
from models import Account, AuditEntry, Database

PAGE_SIZE = 100
EXPORT_LIMIT = 50_000


@dataclass(frozen=True, slots=True)
class AuditQuery:
    action: str | None = None
    account_id: int | None = None
    conversation_id: str | None = None
    first_day: date | None = None
    last_day: date | None = None  # inclusive, UTC
    page: int = 1


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    who: str | None  # the account's name; None for the operator at the shell or an unknown login
    conversation_id: str | None
    details: dict[str, Any]

    @property
    def address(self) -> str | None:
        value = self.details.get("address")
        return str(value) if value else None


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    total: int
    page: int
    actions: tuple[str, ...]  # every action the log holds, for the filter
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class AuditLog:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def entries(self, query: AuditQuery, *, by: AgentRef | None) -> AuditPage:
        if query.page < 1:
            raise Invalid("pages start at 1", field="page")
        if query.first_day and query.last_day and query.first_day > query.last_day:
            raise Invalid("the first day comes after the last", field="first_day")
        async with self._db.read() as session:
            await acting_admin(session, by)
            conditions = _conditions(query)
            total = await session.scalar(select(func.count(AuditEntry.id)).where(*conditions))
            rows = await session.execute(
                select(AuditEntry, Account.display_name)
                .outerjoin(Account, Account.id == AuditEntry.account_id)
                .where(*conditions)
                .order_by(AuditEntry.id.desc())
                .limit(PAGE_SIZE)
                .offset((query.page - 1) * PAGE_SIZE)
            )
            entries = tuple(_row(entry, name) for entry, name in rows.all())
            actions = tuple(
                await session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
            )
        return AuditPage(entries, total or 0, query.page, actions)

    async def export_csv(self, query: AuditQuery, *, by: AgentRef | None) -> str:
        async with self._db.read() as session:
            await acting_admin(session, by)
            rows = await session.execute(
                select(AuditEntry, Account.display_name)
                .outerjoin(Account, Account.id == AuditEntry.account_id)
                .where(*_conditions(query))
                .order_by(AuditEntry.id.desc())
                .limit(EXPORT_LIMIT)
            )
            entries = [_row(entry, name) for entry, name in rows.all()]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "at", "action", "who", "conversation", "address", "details"])
        for row in entries:
            details = json.dumps(row.details, ensure_ascii=False, sort_keys=True, default=str)
            writer.writerow(
                [
                    spreadsheet_safe(str(v))
                    for v in (
                        row.id,
                        row.at.isoformat(),
                        row.action,
                        row.who or "",
                        row.conversation_id or "",
                        row.address or "",
                        details,
                    )
                ]
            )
        return out.getvalue()


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.action:
        conditions.append(AuditEntry.action == query.action)
    if query.account_id is not None:
        conditions.append(AuditEntry.account_id == query.account_id)
    if query.conversation_id:
        conditions.append(AuditEntry.conversation_id == query.conversation_id)
    if query.first_day:
        conditions.append(AuditEntry.at >= datetime.combine(query.first_day, time(), UTC))
    if query.last_day:
        conditions.append(AuditEntry.at < datetime.combine(query.last_day + timedelta(days=1), time(), UTC))
    return conditions


def _row(entry: AuditEntry, name: str | None) -> AuditRow:
    return AuditRow(entry.id, entry.at, entry.action, name, entry.conversation_id, dict(entry.details or {}))


def spreadsheet_safe(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP: CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
