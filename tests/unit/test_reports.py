"""Reports from a small known history are exact, on both databases: 10 conversations, 3 taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, select, union_all, update

from handoff.core import Core
from handoff.errors import Invalid
from handoff.reports import ReportQuery, _percentiles
from handoff.views import AgentRef
from models import AttentionFlag, AuditEntry, Message

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


async def shift(core: Core, model: type, column: str, conversation_id: str, seconds: float) -> None:
    """Move a row's time by `seconds` (the history is made in a moment; the report needs minutes)."""
    async with core.db.write() as session:
        rows = await session.scalars(select(model).where(model.conversation_id == conversation_id))  # type: ignore[attr-defined]
        for row in rows:
            if model is not Message or row.role == "human":
                setattr(row, column, getattr(row, column) + timedelta(seconds=seconds))


@BACKENDS
async def test_the_figures_of_a_known_history(core: Core, shop: str, alice: AgentRef) -> None:
    ids = [
        (await core.conversations.start(service_slug=shop, text=f"q{n}")).conversation.id for n in range(10)
    ]
    for n, cid in enumerate(ids[:3]):  # three flagged and taken over, after 60, 120 and 180 s
        await core.conversations.request_human(conversation_id=cid)
        await core.handoffs.take_over(conversation_id=cid, agent=alice)
        await shift(core, AuditEntry, "at", cid, 60 * (n + 1))
        await core.handoffs.send(conversation_id=cid, agent=alice, text="Hello, I am here")
        await shift(core, Message, "created_at", cid, 60 * (n + 1) + 30)  # 30 s after the take over
    await core.conversations.request_human(conversation_id=ids[3])  # flagged, nobody came
    for cid in ids[5:]:  # five end with the AI alone
        await core.conversations.end(conversation_id=cid)
    await core.conversations.end(conversation_id=ids[0])  # ended, but a human had it

    today = datetime.now(UTC).date()
    report = await core.reports.report(ReportQuery(today, today))
    assert report.conversations == 10 and report.taken_over == 3
    assert report.handoff_rate == pytest.approx(0.3)
    assert report.ai_resolution_rate == pytest.approx(0.5)
    assert report.time_to_take_over_median == pytest.approx(120, abs=2)
    assert report.time_to_take_over_p90 == pytest.approx(180, abs=2)
    assert report.time_to_first_reply_median == pytest.approx(30, abs=2)
    assert report.flags["help_requested"] == 4 and report.flags["thumbs_down"] == 0
    assert sum(started for _, started, _ in report.per_day) == 10
    assert [(day, taken) for day, _, taken in report.per_day] == [(today, 3)]
    assert sum(report.load.values()) == 10
    assert report.flags_per_day == ((today, "help_requested", 4),)
    assert "handoff_rate,0.3000" in report.to_csv()

    other = await core.reports.report(ReportQuery(today, today, services=("nope",)))
    assert other.conversations == 0 and other.handoff_rate is None and other.time_to_take_over_median is None
    with pytest.raises(Invalid):
        await core.reports.report(ReportQuery(today, today - timedelta(days=1)))


async def test_false_alarms_and_ratings_count_per_kind(core: Core, shop: str, alice: AgentRef) -> None:
    cid = (await core.conversations.start(service_slug=shop, text="q")).conversation.id
    await core.conversations.request_human(conversation_id=cid)
    async with core.db.write() as session:  # as if a detector had raised it on a message
        await session.execute(update(AttentionFlag).values(closed_how="not_needed"))
    today = datetime.now(UTC).date()
    report = await core.reports.report(ReportQuery(today, today))
    assert report.false_alarms == {"help_requested": (1, 1)}
    assert report.thumbs_down_rate is None


@BACKENDS
@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        (list(range(1, 11)), 5, 9),  # nearest rank: the 5th and the 9th of 10
        ([7], 7, 7),
        ([3, 1, 2], 2, 3),
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110], 60, 100),  # 0.9 * 11 = 9.9: the 10th
    ],
)
async def test_percentiles_are_the_nearest_rank_picked_by_the_database(
    core: Core, values: list[int], median: float, p90: float
) -> None:
    durations = union_all(*(select(literal(float(v)).label("d")) for v in values))
    async with core.db.read() as session:
        assert await _percentiles(session, select(durations.subquery().c.d), (0.5, 0.9)) == (median, p90)
