"""False alarms: the detectors' flags that agents marked "Not needed", as labelled rows.

Each becomes a row `text,label,category` (label 0: the detector should not have fired) that
`python -m detection.evaluate --input` reads, so the detection sets grow from real use.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from models import Database, FalseAlarm, Service

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
            select(FalseAlarm, Service.slug)
            .join(Service, Service.id == FalseAlarm.service_id)
            .order_by(FalseAlarm.id)
        )
        if kind is not None:
            query = query.where(FalseAlarm.kind == kind)
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
        return [
            FalseAlarmView(
                kind=alarm.kind,
                text=alarm.text,
                rule=alarm.rule,
                score=alarm.score,
                service_slug=slug,
                conversation_id=alarm.conversation_id,
                recorded_at=alarm.recorded_at,
            )
            for alarm, slug in rows
        ]


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
