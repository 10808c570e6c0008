"""Internal notes: what agents tell each other about a conversation, never shown to the customer.

Notes live in their own table and travel in their own event (NoteAdded), which no customer path reads: the
chat page, the messages API, the event stream and the AI's context only ever see messages.
"""

from __future__ import annotations

from sqlalchemy import select

from handoff import records
from handoff.bus import EventBus
from handoff.errors import NotFound
from handoff.events import NoteAdded
from handoff.views import AgentRef, NoteView
from models import Conversation, Database, Note


def note_view(note: Note) -> NoteView:
    return NoteView(
        id=note.id,
        conversation_id=note.conversation_id,
        text=note.text,
        author=note.author_name,
        created_at=note.created_at,
    )


class Notes:
    def __init__(self, *, db: Database, bus: EventBus, max_text_chars: int = 4000) -> None:
        self._db = db
        self._bus = bus
        self._max_text_chars = max_text_chars

    async def add(self, *, conversation_id: str, agent: AgentRef, text: str) -> NoteView:
        """Any active agent may note on any conversation, live or ended, whoever holds it."""
        records.check_text(text, self._max_text_chars)
        async with self._db.write() as session:
            account = await records.active_account(session, agent)
            if await session.get(Conversation, conversation_id) is None:
                raise NotFound("no such conversation")
            note = Note(
                conversation_id=conversation_id,
                author_id=account.id,
                author_name=account.display_name,
                text=text.strip(),
                created_at=records.utcnow(),
            )
            session.add(note)
            await session.flush()
            records.audit(
                session,
                action="add_note",
                account_id=account.id,
                conversation_id=conversation_id,
                note=note.id,
            )
            view = note_view(note)
        await self._bus.publish(NoteAdded(view))
        return view

    async def of(self, conversation_id: str, *, after: int | None = None) -> list[NoteView]:
        """The conversation's notes, oldest first (those after the note id `after`, if given)."""
        query = select(Note).where(Note.conversation_id == conversation_id).order_by(Note.id)
        if after is not None:
            query = query.where(Note.id > after)
        async with self._db.read() as session:
            return [note_view(note) for note in await session.scalars(query)]
