"""Learning from the console: a detector's flag marked "Not needed" is closed and its text recorded, with the
detector's rule, as a labelled row that `python -m detection.evaluate` reads."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select

import main
from detection.defaults import default_detectors
from detection.evaluate import evaluate, read_rows
from handoff.core import Core
from handoff.errors import Conflict
from handoff.events import ConversationUpdated, Event, FlagsClosed
from handoff.false_alarms import as_csv
from handoff.settings import Settings
from handoff.views import AgentRef
from models import AttentionFlag, AuditEntry


@pytest.fixture
async def agent(server_core: Core) -> AgentRef:
    return await server_core.accounts.add(email="alice@example.com", name="Alice", password="password-1")


async def test_a_detector_flag_carries_the_rule_that_fired(server_core: Core) -> None:
    started = await server_core.conversations.start(service_slug="shop", text="oh perfect, broken again")
    (flag,) = started.conversation.open_flags
    assert flag.kind == "negative_feedback"
    assert flag.rule is not None and "sarcasm" in flag.rule
    assert flag.detected


async def test_not_needed_closes_the_flag_and_records_the_text(server_core: Core, agent: AgentRef) -> None:
    text = "can you connect me with my account manager's invoice"
    started = await server_core.conversations.start(service_slug="shop", text="Hi")
    cid = started.conversation.id
    await server_core.conversations.add_customer_message(conversation_id=cid, text="I want a real person now")
    await server_core.conversations.add_customer_message(conversation_id=cid, text=text)
    card = await server_core.conversations.get(cid)
    (flag,) = card.open_flags
    seen: list[Event] = []
    server_core.bus.subscribe(Event, seen.append)

    after = await server_core.handoffs.mark_not_needed(conversation_id=cid, flag_id=flag.id, agent=agent)

    assert after.open_flags == () and not after.needs_attention
    await server_core.bus.drain()
    closed = [event for event in seen if isinstance(event, FlagsClosed)]
    assert [(event.flag_ids, event.how) for event in closed] == [((flag.id,), "not_needed")]
    assert any(isinstance(event, ConversationUpdated) and not event.after.open_flags for event in seen)
    (alarm,) = await server_core.false_alarms.recorded()
    assert (alarm.kind, alarm.text, alarm.service_slug) == (
        "help_requested",
        "I want a real person now",
        "shop",
    )
    assert alarm.rule == flag.rule
    async with server_core.db.read() as session:
        stored = await session.get(AttentionFlag, flag.id)
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "flag_not_needed"))
    assert stored is not None and stored.closed_how == "not_needed" and stored.closed_by_id == agent.id
    assert entry is not None and entry.details == {"flag": flag.id, "kind": "help_requested"}


async def test_only_an_open_flag_raised_by_reading_a_message_can_be_marked(
    server_core: Core, agent: AgentRef
) -> None:
    cid = (await server_core.conversations.start(service_slug="shop", text="Hi")).conversation.id
    card = await server_core.conversations.request_human(conversation_id=cid)  # the button: no text read
    (button_flag,) = card.open_flags
    assert not button_flag.detected
    with pytest.raises(Conflict):
        await server_core.handoffs.mark_not_needed(conversation_id=cid, flag_id=button_flag.id, agent=agent)
    await server_core.handoffs.dismiss_flags(conversation_id=cid, agent=agent)
    with pytest.raises(Conflict):  # closed meanwhile (a colleague dismissed it)
        await server_core.handoffs.mark_not_needed(conversation_id=cid, flag_id=button_flag.id, agent=agent)
    assert await server_core.false_alarms.recorded() == []


async def test_recorded_false_alarms_are_rows_the_evaluator_reads(
    server_core: Core, agent: AgentRef, tmp_path: Path
) -> None:
    texts = ["what a joke, I love it, thanks!", "I'd rather deal with a person who lives nearby"]
    for text in texts:
        started = await server_core.conversations.start(service_slug="shop", text=text)
        for flag in started.conversation.open_flags:
            await server_core.handoffs.mark_not_needed(
                conversation_id=started.conversation.id, flag_id=flag.id, agent=agent
            )
    alarms = await server_core.false_alarms.recorded()
    assert sorted(alarm.text for alarm in alarms) == sorted(texts)
    exported = tmp_path / "false_alarms.csv"
    exported.write_text(as_csv(alarms), encoding="utf-8")
    rows = read_rows(exported)
    assert [(row.text, row.label, row.category) for row in rows] == [
        (alarm.text, False, "false_alarm") for alarm in alarms
    ]
    detector = next(d for d in default_detectors() if d.kind == alarms[0].kind)
    figures, fired_wrongly, _ = evaluate(detector, [row for row in rows if row.text == alarms[0].text])
    assert fired_wrongly == [alarms[0].text] and figures["precision"] == 0.0


async def test_the_command_line_exports_them(
    server_core: Core,
    agent: AgentRef,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = await server_core.conversations.start(
        service_slug="shop", text="transfer me to the billing page"
    )
    (flag,) = started.conversation.open_flags
    await server_core.handoffs.mark_not_needed(
        conversation_id=started.conversation.id, flag_id=flag.id, agent=agent
    )
    monkeypatch.setenv("HANDOFF_DATABASE_URL", settings.database_url)
    output = tmp_path / "rows.csv"

    assert await asyncio_main(["detection", "export-false-alarms", "--output", str(output)]) == 0
    assert "wrote 1 false alarms" in capsys.readouterr().out
    (row,) = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert row["text"] == "transfer me to the billing page" and row["label"] == "0"
    assert row["detector"] == "help_requested" and row["rule"] == flag.rule

    assert await asyncio_main(["detection", "export-false-alarms", "--detector", "non_answer"]) == 0
    assert capsys.readouterr().out.strip() == "text,label,category,detector,rule,service,recorded_at"


async def asyncio_main(argv: list[str]) -> int:
    """main.main runs its own event loop: call it from a thread, as a shell would from outside."""
    return await asyncio.to_thread(main.main, argv)
