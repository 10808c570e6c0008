"""History: every conversation, live and ended, found by its filters and by the words of its messages.

The words are searched with the database's own full-text engine (migration 0009): SQLite's FTS5 on the
embedded default, a tsvector with a GIN index on PostgreSQL, both kept up to date by the transaction that
writes a message. Every word the agent types must match, as a word or the beginning of one.

Lists are newest first, cut into pages by the database; nothing here loads more rows than one page shows,
except the CSV export of a filtered list, which is capped at EXPORT_LIMIT rows.

A search lists the conversations by their newest matching message, newest first, and is found by walking
the full-text index from its newest entries down, in chunks that grow, until the page is full and the
count reaches COUNT_LIMIT (both engines give their matches in id order cheaply). A word in every other
message then costs what a rare word costs: the set of every match is never built, only the part of it a
page needs. Above COUNT_LIMIT the count is "more than" (`HistoryPage.more`), as Gmail and Slack say it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import records
from handoff.audit import spreadsheet_safe
from handoff.errors import Invalid
from handoff.notes import note_view
from handoff.views import FLAG_KINDS, ConversationView, FlagKind, FlagView, MessageView, NoteView
from models import Account, AttentionFlag, AuditEntry, Conversation, Database, Message, Note, Service

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000
COUNT_LIMIT = 500  # a search counts its conversations up to here; above, "more than"
FIRST_CHUNK = 2_000  # matching messages read at the first step of a search's walk; each next step 4x
LAST_CHUNK = 128_000
FEW = 5_000  # filters that leave at most this many conversations are searched from their side
MAX_WORDS = 8  # of a search: more words than this are left out
WORD = re.compile(r"\w+")
CardRow = Row[Conversation, str, str, str]  # records.card_query()'s
Status = Literal["live", "paused", "ended"]
STATUSES: tuple[Status, ...] = ("live", "paused", "ended")


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """What the agent asked for: the words and the filters (all optional), and which page."""

    text: str = ""
    services: tuple[str, ...] = ()
    status: Status | None = None
    flag: FlagKind | None = None
    agent_id: int | None = None  # took it over
    started_from: date | None = None
    started_to: date | None = None  # inclusive (UTC days)
    place: str | None = None  # a city, region or country, as the card shows it
    page: int = 1

    def words(self) -> list[str]:
        return WORD.findall(self.text.lower())[:MAX_WORDS]

    def checked(self) -> HistoryQuery:
        if self.status is not None and self.status not in STATUSES:
            raise Invalid(f"status is one of {', '.join(STATUSES)}", field="status")
        if self.flag is not None and self.flag not in FLAG_KINDS:
            raise Invalid("no such flag kind", field="flag")
        if self.page < 1:
            raise Invalid("pages start at 1", field="page")
        if self.started_from and self.started_to and self.started_from > self.started_to:
            raise Invalid("the first day comes after the last", field="started_from")
        return self


Snippet = tuple[tuple[str, bool], ...]  # the parts of a matching message: (text, is a matching word)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    conversation: ConversationView  # its open flags, if it is live
    flag_kinds: tuple[FlagKind, ...]  # every kind it was ever flagged for
    snippet: Snippet = ()  # where the words were found, when searching


@dataclass(frozen=True, slots=True)
class HistoryPage:
    rows: tuple[HistoryRow, ...]
    total: int
    page: int
    page_size: int = PAGE_SIZE
    more: bool = False  # there are more than `total` (a search counts up to COUNT_LIMIT)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size) + (1 if self.more else 0))


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """A flag as the history shows it: why it was raised, and how it was closed, if it was."""

    kind: FlagKind
    reason: str
    opened_at: datetime
    score: float | None = None
    rule: str | None = None
    closed_at: datetime | None = None
    closed_how: str | None = None  # acknowledged (taken over), dismissed, not_needed
    closed_by: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    what: str  # "started", "flagged", "take_over", "add_note", "resume_ai", "release", "ended", ...
    who: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """One conversation's whole story, for the agents (notes included)."""

    conversation: ConversationView
    customer_external_id: str | None
    messages: tuple[MessageView, ...]
    notes: tuple[NoteView, ...]
    flags: tuple[FlagRecord, ...]
    timeline: tuple[TimelineEntry, ...]
    same_customer: tuple[ConversationView, ...] = field(default_factory=tuple)

    def export_text(self) -> str:
        """The customer's view as plain text: every message they saw, no note."""
        view = self.conversation
        lines = [f"Conversation {view.id} · {view.service_slug} · started {_stamp(view.started_at)}"]
        if view.ended_at:
            lines.append(f"Ended {_stamp(view.ended_at)}")
        lines.append("")
        for message in self.messages:
            who = message.author or {
                "user": "Customer",
                "ai": "AI",
                "human": "Agent",
                "system": "Notice",
            }.get(message.role, message.role)
            lines.append(f"[{_stamp(message.created_at)}] {who}: {message.text}")
        return "\n".join(lines) + "\n"

    def export_json(self) -> str:
        """The customer's view as JSON, in the HTTP API's shapes: no note."""
        data = {"conversation": self.conversation.to_api(), "messages": [m.to_api() for m in self.messages]}
        return json.dumps(data, ensure_ascii=False, indent=2)


class History:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def search(self, query: HistoryQuery) -> HistoryPage:
        query = query.checked()
        words = query.words()
        offset = (query.page - 1) * PAGE_SIZE
        async with self._db.read() as session:
            if words:
                hits, exhausted = await self._hits(
                    session, words, self._conditions(query), max(offset + PAGE_SIZE, COUNT_LIMIT + 1)
                )
                more = not exhausted and len(hits) > COUNT_LIMIT
                total = COUNT_LIMIT if more and offset + PAGE_SIZE <= COUNT_LIMIT else len(hits)
                page_hits = list(hits.items())[offset : offset + PAGE_SIZE]
                rows = await _cards_in_order(session, [cid for cid, _ in page_hits])
                snippets = await _snippets(session, dict(page_hits), words)
            else:
                more, snippets = False, {}
                conditions = self._conditions(query)
                total = (
                    await session.scalar(
                        select(func.count())
                        .select_from(Conversation)
                        .join(Service, Service.id == Conversation.service_id)
                        .where(*conditions)
                    )
                    or 0
                )
                rows = list(
                    (await session.execute(_newest_first(conditions).limit(PAGE_SIZE).offset(offset))).all()
                )
            ids = [row[0].id for row in rows]
            kinds, open_flags = await _flags_of(session, ids)
        return HistoryPage(
            rows=tuple(
                HistoryRow(
                    conversation=records.card_from(*row, open_flags.get(row[0].id, ())),
                    flag_kinds=tuple(kinds.get(row[0].id, ())),
                    snippet=snippets.get(row[0].id, ()),
                )
                for row in rows
            ),
            total=total,
            page=query.page,
            page_size=PAGE_SIZE,
            more=more,
        )

    async def agents(self) -> list[tuple[int, str]]:
        """Every console account's id and name, for the "Taken over by" filter (names only: any agent may
        see who their colleagues are)."""
        async with self._db.read() as session:
            rows = await session.execute(
                select(Account.id, Account.display_name).order_by(Account.display_name)
            )
            return [(account_id, name) for account_id, name in rows.all()]

    async def export_csv(self, query: HistoryQuery) -> str:
        """Every conversation of the filtered list (at most EXPORT_LIMIT), one row each."""
        query = query.checked()
        words = query.words()
        async with self._db.read() as session:
            if words:
                hits, _ = await self._hits(session, words, self._conditions(query), EXPORT_LIMIT)
                rows = await _cards_in_order(session, list(hits)[:EXPORT_LIMIT])
            else:
                rows = list(
                    (await session.execute(_newest_first(self._conditions(query)).limit(EXPORT_LIMIT))).all()
                )
            kinds, _ = await _flags_of(session, [row[0].id for row in rows])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                *("id", "service", "status", "started_at", "ended_at", "customer", "city", "region"),
                *("country", "messages", "flags", "opening_question"),
            ]
        )
        for row in rows:
            view = records.card_from(*row, ())
            writer.writerow(
                [
                    spreadsheet_safe(value)
                    for value in (
                        view.id,
                        view.service_slug,
                        status_of(view),
                        view.started_at.isoformat(),
                        view.ended_at.isoformat() if view.ended_at else "",
                        view.customer_name or "",
                        view.city or "",
                        view.region or "",
                        view.country or "",
                        str(view.message_count),
                        " ".join(kinds.get(view.id, ())),
                        view.opening_question or "",
                    )
                ]
            )
        return out.getvalue()

    async def conversation(self, conversation_id: str) -> ConversationRecord:
        async with self._db.read() as session:
            view = await records.load_card(session, conversation_id)
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None  # load_card found it
            messages = await session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
            message_views = tuple(records.message_view(m) for m in messages)
            notes = tuple(
                note_view(note)
                for note in await session.scalars(
                    select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
                )
            )
            names: dict[int, str] = {
                i: n for i, n in (await session.execute(select(Account.id, Account.display_name))).all()
            }
            flags = tuple(
                FlagRecord(
                    kind=flag.kind,  # type: ignore[arg-type]
                    reason=flag.reason,
                    opened_at=flag.opened_at,
                    score=flag.score,
                    rule=flag.rule,
                    closed_at=flag.closed_at,
                    closed_how=flag.closed_how,
                    closed_by=names.get(flag.closed_by_id) if flag.closed_by_id else None,
                )
                for flag in await session.scalars(
                    select(AttentionFlag)
                    .where(AttentionFlag.conversation_id == conversation_id)
                    .order_by(AttentionFlag.id)
                )
            )
            audit = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.conversation_id == conversation_id)
                .order_by(AuditEntry.id)
            )
            timeline = [TimelineEntry(view.started_at, "started")]
            timeline += [TimelineEntry(f.opened_at, "flagged", detail=f.kind) for f in flags]
            timeline += [
                TimelineEntry(
                    entry.at, entry.action, names.get(entry.account_id) if entry.account_id else None
                )
                for entry in audit
                if entry.action != "send"  # every reply is in the transcript already
            ]
            if view.ended_at:
                timeline.append(TimelineEntry(view.ended_at, "ended"))
            same_customer: tuple[ConversationView, ...] = ()
            if conversation.customer_external_id:
                others = await session.execute(
                    _newest_first(
                        [
                            Conversation.customer_external_id == conversation.customer_external_id,
                            Conversation.id != conversation_id,
                        ]
                    ).limit(20)
                )
                same_customer = tuple(records.card_from(*row, ()) for row in others.all())
        return ConversationRecord(
            conversation=view,
            customer_external_id=conversation.customer_external_id,
            messages=message_views,
            notes=notes,
            flags=flags,
            timeline=tuple(sorted(timeline, key=lambda entry: entry.at)),
            same_customer=same_customer,
        )

    # -- the query ---------------------------------------------------------------------------------------

    def _conditions(self, query: HistoryQuery) -> list[ColumnElement[bool]]:
        """The filters, as conditions on a conversation (and its service); the words are the walk's."""
        conditions: list[ColumnElement[bool]] = []
        if query.services:
            conditions.append(Service.slug.in_(query.services))
        if query.status == "live":
            conditions.append(Conversation.ended_at.is_(None))
        elif query.status == "paused":
            conditions += [Conversation.ended_at.is_(None), Conversation.status == "paused"]
        elif query.status == "ended":
            conditions.append(Conversation.ended_at.is_not(None))
        if query.flag:
            conditions.append(
                exists().where(
                    AttentionFlag.conversation_id == Conversation.id, AttentionFlag.kind == query.flag
                )
            )
        if query.agent_id is not None:
            conditions.append(
                exists().where(
                    AuditEntry.conversation_id == Conversation.id,
                    AuditEntry.action == "take_over",
                    AuditEntry.account_id == query.agent_id,
                )
            )
        if query.started_from:
            conditions.append(Conversation.started_at >= datetime.combine(query.started_from, time(), UTC))
        if query.started_to:
            end = datetime.combine(query.started_to + timedelta(days=1), time(), UTC)
            conditions.append(Conversation.started_at < end)
        if query.place and query.place.strip():
            place = query.place.strip().lower()
            conditions.append(
                or_(
                    func.lower(Conversation.city) == place,
                    func.lower(Conversation.region) == place,
                    func.lower(Conversation.country) == place,
                )
            )
        return conditions

    async def _hits(
        self,
        session: AsyncSession,
        words: Sequence[str],
        conditions: Sequence[ColumnElement[bool]],
        want: int,
    ) -> tuple[dict[str, int], bool]:
        """The conversations that pass `conditions` and hold a message with every word, by their newest
        such message, newest first: {conversation id: that message's id}, at least `want` of them unless
        there are fewer (then the second value, exhausted, is true).

        Filters that leave few conversations are met from their side: their messages, each looked up in
        the set of matches. Otherwise the index is walked from its newest matches down."""
        if conditions:
            passing = select(literal(1)).select_from(Conversation).join(Service).where(*conditions)
            few = await session.scalar(select(func.count()).select_from(passing.limit(FEW + 1).subquery()))
            if (few or 0) <= FEW:
                newest = func.max(Message.id)
                newest_first = await session.execute(
                    select(Message.conversation_id, newest)
                    .select_from(Conversation)
                    .join(Service, Service.id == Conversation.service_id)
                    .join(Message, Message.conversation_id == Conversation.id)
                    .where(*conditions, self._matches(words, probed=True))
                    .group_by(Message.conversation_id)
                    .order_by(newest.desc())
                    .limit(want)
                )
                hits = {cid: mid for cid, mid in newest_first.all()}
                return hits, len(hits) < want
        # The index, newest matches first: each step reads the next chunk of matching messages with their
        # conversations and whether each passes the filters; the next chunk is sized by how many
        # conversations a message has yielded so far.
        found: dict[str, int] = {}
        below: int | None = None
        chunk, read = FIRST_CHUNK, 0
        passes = and_(*conditions) if conditions else true()
        while len(found) < want:
            ids = self._matching_ids(words, below, chunk).subquery()
            rows = (
                await session.execute(
                    select(ids.c.id, Message.conversation_id, case((passes, 1), else_=0))
                    .select_from(ids)
                    .join(Message, Message.id == ids.c.id)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .join(Service, Service.id == Conversation.service_id)
                    .order_by(ids.c.id.desc())
                )
            ).all()
            for message_id, conversation_id, ok in rows:
                if ok:
                    found.setdefault(conversation_id, message_id)
            read += len(rows)
            if len(rows) < chunk:
                return found, True
            below = rows[-1][0]
            per_message = max(len(found), 1) / read
            chunk = max(FIRST_CHUNK, min(LAST_CHUNK, int((want - len(found)) / per_message * 1.2)))
        return found, False

    def _matching_ids(self, words: Sequence[str], below: int | None, limit: int) -> Select[int]:
        """The ids of the newest `limit` messages with every word, under `below`, newest first."""
        fts: ColumnElement[int]
        if self._db.is_sqlite:
            fts = literal_column("messages_fts.rowid", Integer)
            statement = (
                select(fts.label("id"))
                .select_from(text("messages_fts"))
                .where(text("messages_fts MATCH :fts").bindparams(fts=_fts5_query(words)))
            )
        else:
            fts = Message.id.expression
            statement = select(fts.label("id")).where(self._matches(words))
        if below is not None:
            statement = statement.where(fts < below)
        return statement.order_by(fts.desc()).limit(limit)

    def _matches(self, words: Sequence[str], *, probed: bool = False) -> ColumnElement[bool]:
        """A message holds every word (or a word beginning so), as the database's full-text index says.
        `probed`: the messages come from elsewhere and each is looked up in the set of matches (SQLite's
        unary + keeps its planner from driving the query by that set instead)."""
        if self._db.is_sqlite:
            column = literal_column("+messages.id" if probed else "messages.id", Integer)
            matches = text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :fts").bindparams(
                fts=_fts5_query(words)
            )
            return column.in_(matches.columns(literal_column("rowid")))
        return literal_column("messages.search").op("@@")(func.to_tsquery("simple", _tsquery(words)))


async def _cards_in_order(session: AsyncSession, ids: Sequence[str]) -> list[CardRow]:
    """The cards of the conversations `ids`, in that order."""
    if not ids:
        return []
    rows = {
        row[0].id: row
        for row in (await session.execute(records.card_query().where(Conversation.id.in_(ids)))).all()
    }
    return [rows[cid] for cid in ids if cid in rows]


async def _snippets(session: AsyncSession, hits: dict[str, int], words: Sequence[str]) -> dict[str, Snippet]:
    """Each conversation's matching message (the walk's), cut around the words. The cut is made here, the
    same on both databases (PostgreSQL's ts_headline drops whatever looks like an HTML tag: a message must
    be shown as it was written)."""
    if not hits:
        return {}
    texts = await session.execute(select(Message.id, Message.text).where(Message.id.in_(hits.values())))
    by_id = dict(texts.all())
    return {cid: snippet(by_id[mid], words) for cid, mid in hits.items() if mid in by_id}


SNIPPET_CHARS = 160


def snippet(message: str, words: Sequence[str]) -> Snippet:
    """The part of `message` around its first matching word, each word that begins with one of `words`
    marked: (text, matched) parts that together are exactly a slice of the message (with "…" at a cut)."""
    marks = [m for m in WORD.finditer(message) if any(m.group().lower().startswith(w) for w in words)]
    start = max(0, marks[0].start() - SNIPPET_CHARS // 3) if marks else 0
    end = min(len(message), start + SNIPPET_CHARS)
    parts: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    position = start
    for mark in marks:
        if mark.start() < start or mark.end() > end:
            continue
        if mark.start() > position:
            parts.append((message[position : mark.start()], False))
        parts.append((mark.group(), True))
        position = mark.end()
    if end > position:
        parts.append((message[position:end], False))
    if end < len(message):
        parts.append(("…", False))
    return tuple(parts)


def _newest_first(conditions: Sequence[ColumnElement[bool]]) -> Select[Conversation, str, str, str]:
    """The cards of the conversations that meet every condition, newest first: one order for every list."""
    return (
        records.card_query()
        .where(*conditions)
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
    )


def status_of(view: ConversationView) -> Status:
    if view.ended_at is not None:
        return "ended"
    return "paused" if view.status == "paused" else "live"


async def _flags_of(
    session: AsyncSession, ids: list[str]
) -> tuple[dict[str, list[FlagKind]], dict[str, list[FlagView]]]:
    """Every flag kind each conversation was raised for, and its open flags (as views)."""
    kinds: dict[str, list[FlagKind]] = defaultdict(list)
    open_flags: dict[str, list[FlagView]] = defaultdict(list)
    if not ids:
        return kinds, open_flags
    for flag in await session.scalars(
        select(AttentionFlag).where(AttentionFlag.conversation_id.in_(ids)).order_by(AttentionFlag.id)
    ):
        if flag.kind not in kinds[flag.conversation_id]:
            kinds[flag.conversation_id].append(flag.kind)  # type: ignore[arg-type]
        if flag.closed_at is None:
            open_flags[flag.conversation_id].append(records.flag_view(flag))
    return kinds, open_flags


def _fts5_query(words: Sequence[str]) -> str:
    """Every word, as a word or a prefix. Words are \\w+ only, so nothing in them is FTS5 syntax."""
    return " ".join(f'"{word}"*' for word in words)


def _tsquery(words: Sequence[str]) -> str:
    return " & ".join(f"{word}:*" for word in words)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
