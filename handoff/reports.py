"""Reports: how the AI and the team did over a range of days, computed by the database.

Every figure is an SQL aggregate over the conversations that started in the range (and their flags,
messages and take-overs); a percentile is picked by the database too (ordered, then one row at an offset),
so a report of 100,000 conversations reads a few dozen numbers, not the rows. Days and hours are UTC.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import Invalid
from handoff.false_alarms import NOT_NEEDED
from handoff.views import FLAG_KINDS
from models import AttentionFlag, AuditEntry, Conversation, Database, Message, Service

MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class ReportQuery:
    first_day: date
    last_day: date  # inclusive
    services: tuple[str, ...] = ()

    def checked(self) -> ReportQuery:
        if self.first_day > self.last_day:
            raise Invalid("the first day comes after the last", field="first_day")
        if (self.last_day - self.first_day).days >= MAX_DAYS:
            raise Invalid(f"a report covers at most {MAX_DAYS} days", field="first_day")
        return self

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time(), UTC)


@dataclass(frozen=True, slots=True)
class Report:
    query: ReportQuery
    conversations: int
    taken_over: int
    ended_without_human: int
    time_to_take_over_median: float | None  # seconds, from the first flag to the take over
    time_to_take_over_p90: float | None
    time_to_first_reply_median: float | None  # seconds, from the take over to the agent's first reply
    flags: dict[str, int]  # by kind
    thumbs_up: int
    thumbs_down: int
    non_answer_by_agent: dict[str, tuple[int, int]]  # specialist agent -> (Non-Answers, AI answers)
    false_alarms: dict[str, tuple[int, int]]  # flag kind -> (closed as Not needed, raised)
    per_day: tuple[tuple[date, int, int], ...]  # day, conversations, taken over
    flags_per_day: tuple[tuple[date, str, int], ...]  # day, flag kind, flags raised that day
    load: dict[tuple[int, int], int]  # (weekday 0 = Monday, hour) -> conversations started

    @property
    def handoff_rate(self) -> float | None:
        """Taken over / all, as Chatwoot counts it: distinct conversations."""
        return self.taken_over / self.conversations if self.conversations else None

    @property
    def ai_resolution_rate(self) -> float | None:
        """Ended with no human / all."""
        return self.ended_without_human / self.conversations if self.conversations else None

    @property
    def thumbs_down_rate(self) -> float | None:
        rated = self.thumbs_up + self.thumbs_down
        return self.thumbs_down / rated if rated else None

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["figure", "value"])
        rows: list[tuple[str, Any]] = [
            ("first_day", self.query.first_day.isoformat()),
            ("last_day", self.query.last_day.isoformat()),
            ("services", " ".join(self.query.services) or "all"),
            ("conversations", self.conversations),
            ("taken_over", self.taken_over),
            ("handoff_rate", _round(self.handoff_rate)),
            ("ai_resolution_rate", _round(self.ai_resolution_rate)),
            ("time_to_take_over_median_s", _round(self.time_to_take_over_median)),
            ("time_to_take_over_p90_s", _round(self.time_to_take_over_p90)),
            ("time_to_first_human_reply_median_s", _round(self.time_to_first_reply_median)),
            ("thumbs_up", self.thumbs_up),
            ("thumbs_down", self.thumbs_down),
        ]
        rows += [(f"flags_{kind}", count) for kind, count in self.flags.items()]
        rows += [
            (f"non_answers_{agent}", f"{n}/{total}") for agent, (n, total) in self.non_answer_by_agent.items()
        ]
        rows += [(f"false_alarms_{kind}", f"{n}/{total}") for kind, (n, total) in self.false_alarms.items()]
        rows += [
            (f"day_{day.isoformat()}", f"{started} started, {taken} taken over")
            for day, started, taken in self.per_day
        ]
        writer.writerows(rows)
        return out.getvalue()


def _round(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


class Reports:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def report(self, query: ReportQuery) -> Report:
        query = query.checked()
        sqlite = self._db.is_sqlite
        in_range = self._in_range(query)
        take_overs = (
            select(AuditEntry.conversation_id.label("cid"), func.min(AuditEntry.at).label("taken_at"))
            .where(AuditEntry.action == "take_over")
            .group_by(AuditEntry.conversation_id)
            .subquery()
        )
        day = _day(Conversation.started_at, sqlite=sqlite)
        hour = _hour(Conversation.started_at, sqlite=sqlite)
        async with self._db.read() as session:
            # One pass over the conversations of the range, by day and hour: the counts, the conversations
            # and take-overs per day and the week x hour load all add up from its few thousand rows.
            hours = await session.execute(
                select(
                    day,
                    hour,
                    func.count(Conversation.id),
                    func.count(take_overs.c.cid),
                    func.sum(
                        case(
                            (and_(Conversation.ended_at.is_not(None), take_overs.c.cid.is_(None)), 1),
                            else_=0,
                        )
                    ),
                )
                .select_from(Conversation)
                .join(Service, Service.id == Conversation.service_id)
                .outerjoin(take_overs, take_overs.c.cid == Conversation.id)
                .where(*in_range)
                .group_by(day, hour)
            )
            days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
            load: dict[tuple[int, int], int] = defaultdict(int)
            conversations = taken_over = ended_without_human = 0
            for d, h, started, taken, without_human in hours.all():
                moment = _as_date(d)
                days[moment][0] += int(started)
                days[moment][1] += int(taken)
                load[(moment.weekday(), int(h))] += int(started)  # weeks start on Monday
                conversations += int(started)
                taken_over += int(taken)
                ended_without_human += int(without_human or 0)
            per_day = tuple((d, started, taken) for d, (started, taken) in sorted(days.items()))

            first_flag = (
                select(
                    AttentionFlag.conversation_id.label("cid"), func.min(AttentionFlag.opened_at).label("at")
                )
                .group_by(AttentionFlag.conversation_id)
                .subquery()
            )
            waited = _seconds(take_overs.c.taken_at, first_flag.c.at, sqlite=sqlite)
            to_take_over = (
                select(waited.label("d"))
                .select_from(Conversation)
                .join(Service, Service.id == Conversation.service_id)
                .join(take_overs, take_overs.c.cid == Conversation.id)
                .join(first_flag, first_flag.c.cid == Conversation.id)
                .where(*in_range, first_flag.c.at <= take_overs.c.taken_at)
            )
            median_take, p90_take = await _percentiles(session, to_take_over, (0.5, 0.9))

            first_reply = (
                select(Message.conversation_id.label("cid"), func.min(Message.created_at).label("at"))
                .where(Message.role == "human")
                .group_by(Message.conversation_id)
                .subquery()
            )
            to_reply = (
                select(_seconds(first_reply.c.at, take_overs.c.taken_at, sqlite=sqlite).label("d"))
                .select_from(Conversation)
                .join(Service, Service.id == Conversation.service_id)
                .join(take_overs, take_overs.c.cid == Conversation.id)
                .join(first_reply, first_reply.c.cid == Conversation.id)
                .where(*in_range)
            )
            (median_reply,) = await _percentiles(session, to_reply, (0.5,))

            flag_rows = await session.execute(
                select(
                    AttentionFlag.kind,
                    func.count(AttentionFlag.id),
                    func.sum(case((AttentionFlag.closed_how == NOT_NEEDED, 1), else_=0)),
                )
                .join(Conversation, Conversation.id == AttentionFlag.conversation_id)
                .join(Service, Service.id == Conversation.service_id)
                .where(*in_range)
                .group_by(AttentionFlag.kind)
            )
            raised = {kind: (int(count), int(not_needed or 0)) for kind, count, not_needed in flag_rows.all()}

            ratings = dict(
                (
                    await session.execute(
                        select(Message.rating, func.count(Message.id))
                        .join(Conversation, Conversation.id == Message.conversation_id)
                        .join(Service, Service.id == Conversation.service_id)
                        .where(*in_range, Message.rating.is_not(None))
                        .group_by(Message.rating)
                    )
                ).all()
            )

            answers = await session.execute(
                select(
                    Conversation.agent_name,
                    func.sum(case((Message.answered.is_(False), 1), else_=0)),
                    func.count(Message.id),
                )
                .join(Conversation, Conversation.id == Message.conversation_id)
                .join(Service, Service.id == Conversation.service_id)
                .where(*in_range, Message.role == "ai")
                .group_by(Conversation.agent_name)
            )
            non_answers = {agent or "(none)": (int(n or 0), int(total)) for agent, n, total in answers.all()}

            flag_day = _day(AttentionFlag.opened_at, sqlite=sqlite)
            flag_days = await session.execute(
                select(flag_day, AttentionFlag.kind, func.count(AttentionFlag.id))
                .join(Conversation, Conversation.id == AttentionFlag.conversation_id)
                .join(Service, Service.id == Conversation.service_id)
                .where(*in_range)
                .group_by(flag_day, AttentionFlag.kind)
                .order_by(flag_day)
            )
            flags_per_day = tuple((_as_date(d), str(kind), int(n)) for d, kind, n in flag_days.all())

        return Report(
            query=query,
            conversations=conversations,
            taken_over=taken_over,
            ended_without_human=ended_without_human,
            time_to_take_over_median=median_take,
            time_to_take_over_p90=p90_take,
            time_to_first_reply_median=median_reply,
            flags={kind: raised.get(kind, (0, 0))[0] for kind in FLAG_KINDS},
            thumbs_up=int(ratings.get("up", 0)),
            thumbs_down=int(ratings.get("down", 0)),
            non_answer_by_agent=non_answers,
            false_alarms={kind: (raised[kind][1], raised[kind][0]) for kind in FLAG_KINDS if kind in raised},
            per_day=per_day,
            flags_per_day=flags_per_day,
            load=dict(load),
        )

    @staticmethod
    def _in_range(query: ReportQuery) -> list[ColumnElement[bool]]:
        conditions = [Conversation.started_at >= query.start, Conversation.started_at < query.end]
        if query.services:
            conditions.append(Service.slug.in_(query.services))
        return conditions


async def _percentiles(
    session: AsyncSession, durations: Select[Any], shares: Sequence[float]
) -> tuple[float | None, ...]:
    """The values at `shares` of the durations (nearest rank), picked by the database in one pass: each
    duration numbered in order, with the count beside it, and the rows at the wanted ranks kept."""
    values = durations.subquery()
    ranked = select(
        values.c.d,
        func.row_number().over(order_by=values.c.d).label("rank"),
        func.count().over().label("n"),
    ).subquery()
    rank, n = ranked.c.rank, ranked.c.n
    # The nearest rank of a share is the smallest rank r with r >= share * n (1 at least).
    at = [and_(rank >= share * n, rank - 1 < share * n) for share in shares]
    rows = await session.execute(select(*(func.max(case((wanted, ranked.c.d))) for wanted in at)))
    return tuple(float(value) if value is not None else None for value in rows.one())


def _seconds(later: Any, earlier: Any, *, sqlite: bool) -> ColumnElement[Any]:
    if sqlite:
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return func.extract("epoch", later - earlier)


def _day(moment: Any, *, sqlite: bool) -> ColumnElement[Any]:
    if sqlite:
        return func.date(moment)
    return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD")


def _hour(moment: Any, *, sqlite: bool) -> ColumnElement[Any]:
    if sqlite:
        return cast(func.strftime("%H", moment), Integer)
    return func.extract("hour", func.timezone("UTC", moment))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
