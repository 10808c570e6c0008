"""False alarms: the detectors' flags that agents marked "Not needed", as labelled rows.

Such a flag is closed with `closed_how = "not_needed"` and keeps its rule and the message it was raised on,
so the false alarms are read from the flags themselves. Each becomes a row `text,label,category` (label 0:
the detector should not have fired) that `python -m detection.evaluate --input` reads, so the detection
sets grow from real use.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models import AttentionFlag, Conversation, Database, Message, Service

NOT_NEEDED = "not_needed"  # how such a flag was closed (`Handoffs.mark_not_needed`)
CATEGORY = "false_alarm"
COLUMNS = ("text", "label", "category", "detector", "rule", "service", "recorded_at")


@dataclass(frozen=True, slots=True)
class FalseAlarmView:
    kind: str
    text: str
    rule: str | None
    score: float | None
    service_slug: str
    conversation_id: str
    recorded_at: datetime


class FalseAlarms:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def recorded(self, kind: str | None = None) -> list[FalseAlarmView]:
        """Every false alarm recorded (of one detector if `kind` is given), oldest first."""
        query = (
            select(AttentionFlag, Message.text, Service.slug)
            .join(Message, Message.id == AttentionFlag.message_id)
            .join(Conversation, Conversation.id == AttentionFlag.conversation_id)
            .join(Service, Service.id == Conversation.service_id)
            .where(AttentionFlag.closed_how == NOT_NEEDED)
            .order_by(AttentionFlag.closed_at, AttentionFlag.id)
        )
        if kind is not None:
            query = query.where(AttentionFlag.kind == kind)
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        alarms = []
        for flag, text, slug in rows:
            assert flag.closed_at is not None  # closed: closed_how is set with it
            alarms.append(
                FalseAlarmView(
                    kind=flag.kind,
                    text=text,
                    rule=flag.rule,
                    score=flag.score,
                    service_slug=slug,
                    conversation_id=flag.conversation_id,
                    recorded_at=flag.closed_at,
                )
            )
        return alarms


def as_csv(alarms: Sequence[FalseAlarmView]) -> str:
    """The false alarms as labelled rows (label 0) for `python -m detection.evaluate --input`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for alarm in alarms:
        writer.writerow(
            [
                alarm.text,
                0,
                CATEGORY,
                alarm.kind,
                alarm.rule or "",
                alarm.service_slug,
                alarm.recorded_at.isoformat(),
            ]
        )
    return out.getvalue()
