"""The history, on both databases: the full-text search finds what it should and nothing else, the filters
and pages hold, one conversation's story (flags, timeline, notes) is whole, and the exports are the
customer's view: every message they saw, no note."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handoff import history
from handoff.conversations import Location
from handoff.core import Core
from handoff.errors import Invalid
from handoff.history import PAGE_SIZE, HistoryPage, HistoryQuery
from handoff.views import AgentRef

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


async def start(core: Core, text: str, *, service: str = "shop", **more: object) -> str:
    return (await core.conversations.start(service_slug=service, text=text, **more)).conversation.id  # type: ignore[arg-type]


async def found(core: Core, **query: object) -> list[str]:
    page = await core.history.search(HistoryQuery(**query))  # type: ignore[arg-type]
    return [row.conversation.id for row in page.rows]


@BACKENDS
async def test_the_search_finds_words_and_beginnings_of_words_and_nothing_else(core: Core, shop: str) -> None:
    parcel = await start(core, "Where is my parcel? It was due Monday")
    refund = await start(core, "I want a refund for the broken kettle")
    await core.conversations.add_customer_message(
        conversation_id=parcel, text="The tracking number is XK99, order 12345"
    )
    assert await found(core, text="parcel") == [parcel]
    assert await found(core, text="PARC") == [parcel]  # a beginning, in any case
    assert await found(core, text="kettle refund") == [refund]  # every word, in one message
    assert await found(core, text="kettle parcel") == []
    assert await found(core, text="xk99 123") == [parcel]
    assert await found(core, text="elephant") == []
    assert await found(core, text='"; DROP TABLE messages; --') == []  # only words reach the engine
    assert set(await found(core, text="")) == {parcel, refund}


@BACKENDS
async def test_a_message_is_searchable_as_soon_as_it_is_written(core: Core, shop: str) -> None:
    cid = await start(core, "hello")
    assert await found(core, text="zeppelin") == []
    await core.conversations.add_customer_message(conversation_id=cid, text="my zeppelin order")
    assert await found(core, text="zeppelin") == [cid]  # indexed by the same transaction


@BACKENDS
async def test_a_hit_shows_its_words_marked_as_text(core: Core, shop: str) -> None:
    cid = await start(core, "Hello <script>alert(1)</script> my invoice is wrong")
    (row,) = (await core.history.search(HistoryQuery(text="invoice"))).rows
    assert row.conversation.id == cid
    assert ("invoice", True) in row.snippet
    assert (
        "".join(part for part, _ in row.snippet).count("<script>") == 1
    )  # the text as it was, to show as text
    assert all(not marked or part.lower() == "invoice" for part, marked in row.snippet)


@BACKENDS
async def test_the_filters(core: Core, shop: str, alice: AgentRef, bob: AgentRef) -> None:
    await core.services.add(slug="bank", name="Bank")
    berlin = await start(core, "one", location=Location(city="Berlin", country="Germany"))
    banking = await start(core, "two", service="bank", location=Location(city="Lyon", country="France"))
    taken = await start(core, "three")
    ended = await start(core, "four")
    await core.conversations.request_human(conversation_id=taken)
    await core.handoffs.take_over(conversation_id=taken, agent=alice)
    await core.conversations.end(conversation_id=ended)
    assert await found(core, services=("bank",)) == [banking]
    assert set(await found(core, status="live")) == {berlin, banking, taken}
    assert await found(core, status="paused") == [taken]
    assert await found(core, status="ended") == [ended]
    assert await found(core, flag="help_requested") == [taken]  # flagged once, though closed by the take over
    assert await found(core, flag="thumbs_down") == []
    assert await found(core, agent_id=alice.id) == [taken]
    assert await found(core, agent_id=bob.id) == []
    assert await found(core, place="berlin") == [berlin]
    assert await found(core, place="FRANCE") == [banking]
    today = datetime.now(UTC).date()
    assert len(await found(core, started_from=today, started_to=today)) == 4
    assert await found(core, started_to=today - timedelta(days=1)) == []
    with pytest.raises(Invalid):
        await found(core, started_from=today, started_to=today - timedelta(days=1))
    with pytest.raises(Invalid):
        await found(core, status="asleep")


@BACKENDS
@pytest.mark.parametrize("few", [0, 1_000], ids=["walked", "from-the-filters"])
async def test_a_search_lists_by_the_newest_matching_message_and_counts_up_to_its_limit(
    core: Core, shop: str, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """Small limits, so that the walk takes several steps and the count stops: each way of searching
    (walking the index, or from the side of filters that leave few conversations) gives the same pages."""
    monkeypatch.setattr(history, "FIRST_CHUNK", 2)
    monkeypatch.setattr(history, "PAGE_SIZE", 2)
    monkeypatch.setattr(history, "COUNT_LIMIT", 3)
    monkeypatch.setattr(history, "FEW", few)
    await core.services.add(slug="bank", name="Bank")
    ids = [await start(core, f"parcel {n}", service="bank" if n % 2 else "shop") for n in range(6)]
    for cid in ids:
        await core.conversations.add_customer_message(conversation_id=cid, text="nothing to find")
    await core.conversations.add_customer_message(conversation_id=ids[1], text="my PARCEL again")
    newest_match_first = [ids[1], ids[5], ids[4], ids[3], ids[2], ids[0]]

    async def search(**query: object) -> HistoryPage:
        return await core.history.search(HistoryQuery(text="parcel", **query))  # type: ignore[arg-type]

    first = await search()
    assert [row.conversation.id for row in first.rows] == newest_match_first[:2]
    assert first.more and first.total == 3 and first.pages == 3  # "more than 3": one page past the count
    assert dict(first.rows[0].snippet)["PARCEL"] is True  # the newest match is the one shown
    third = await search(page=3)
    assert [row.conversation.id for row in third.rows] == newest_match_first[4:]
    assert (await search(page=4)).rows == ()
    banking = await search(services=("bank",))
    assert [row.conversation.id for row in banking.rows] == [ids[1], ids[5]]
    assert banking.total == 3 and not banking.more  # 3 of them: counted exactly
    assert [row.conversation.id for row in (await search(services=("bank",), page=2)).rows] == [ids[3]]
    assert (await search(status="ended")).rows == ()
    exported = list(csv.DictReader(io.StringIO(await core.history.export_csv(HistoryQuery(text="parcel")))))
    assert [row["id"] for row in exported] == newest_match_first  # every one, past the count


async def test_pages_are_cut_newest_first(core: Core, shop: str) -> None:
    ids = [await start(core, f"question {number}") for number in range(PAGE_SIZE + 7)]
    first = await core.history.search(HistoryQuery())
    second = await core.history.search(HistoryQuery(page=2))
    assert first.total == second.total == PAGE_SIZE + 7 and first.pages == 2
    assert [row.conversation.id for row in first.rows] == ids[::-1][:PAGE_SIZE]
    assert [row.conversation.id for row in second.rows] == ids[::-1][PAGE_SIZE:]
    assert (await core.history.search(HistoryQuery(page=3))).rows == ()


@BACKENDS
async def test_one_conversations_story_and_its_exports(core: Core, shop: str, alice: AgentRef) -> None:
    cid = await start(core, "My order never came", customer_external_id="cust-7", customer_name="Eve")
    earlier = await start(core, "An older question", customer_external_id="cust-7")
    await core.conversations.request_human(conversation_id=cid)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    await core.notes.add(conversation_id=cid, agent=alice, text="NOTE: refund approved")
    await core.handoffs.send(conversation_id=cid, agent=alice, text="I am sending a new one today.")
    await core.handoffs.resume_ai(conversation_id=cid, agent=alice)
    await core.conversations.end(conversation_id=cid)

    record = await core.history.conversation(cid)
    assert [(f.kind, f.closed_how, f.closed_by) for f in record.flags] == [
        ("help_requested", "acknowledged", "Alice")
    ]
    assert [(entry.what, entry.who) for entry in record.timeline] == [
        ("started", None),
        ("flagged", None),
        ("take_over", "Alice"),
        ("add_note", "Alice"),
        ("resume_ai", "Alice"),
        ("ended", None),
    ]
    assert [note.text for note in record.notes] == ["NOTE: refund approved"]
    assert [other.id for other in record.same_customer] == [earlier]

    customer_saw = [m.text for m in await core.conversations.messages(cid)]
    text = record.export_text()
    assert all(message in text for message in customer_saw) and "refund approved" not in text
    exported = json.loads(record.export_json())
    assert [m["text"] for m in exported["messages"]] == customer_saw
    assert exported["conversation"]["id"] == cid and "refund approved" not in record.export_json()


async def test_the_csv_of_a_list_holds_every_row_and_runs_no_formula(core: Core, shop: str) -> None:
    formula = await start(core, '=HYPERLINK("http://evil.example","click")')
    plain = await start(core, "Where is my parcel?")
    rows = list(csv.DictReader(io.StringIO(await core.history.export_csv(HistoryQuery()))))
    assert [row["id"] for row in rows] == [plain, formula]
    assert rows[1]["opening_question"].startswith("'=")  # a spreadsheet shows it, never runs it
    assert rows[0]["status"] == "live" and rows[0]["service"] == "shop"
    only = list(
        csv.DictReader(io.StringIO(await core.history.export_csv(replace(HistoryQuery(), text="parcel"))))
    )
    assert [row["id"] for row in only] == [plain]


async def test_the_audit_log_has_a_row_per_action_and_is_for_admins_only(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    from handoff.audit import AuditQuery
    from handoff.errors import Forbidden, Unauthorized

    await core.accounts.authenticate(email="alice@example.com", password="password-1", address="203.0.113.9")
    with pytest.raises(Unauthorized):
        await core.accounts.authenticate(email="nobody@example.com", password="guess", address="198.51.100.7")
    cid = await start(core, "hello")
    await core.conversations.request_human(conversation_id=cid)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    await core.notes.add(conversation_id=cid, agent=alice, text="a note")
    await core.handoffs.send(conversation_id=cid, agent=alice, text="hi")
    await core.handoffs.release(conversation_id=cid, agent=alice)
    await core.services.set_mode(slug=shop, mode="human_only", agent=admin)
    log = await core.audit.entries(AuditQuery(), by=admin)
    actions = [row.action for row in log.rows][::-1]  # oldest first
    assert actions[-7:] == [
        "login",
        "login_failed",
        "take_over",
        "add_note",
        "send",
        "release",
        "set_mode",
    ]
    login, failed = (row for row in log.rows[::-1] if row.action.startswith("login"))
    assert (login.who, login.address) == ("Alice", "203.0.113.9")
    assert (failed.who, failed.address, failed.details["email"]) == (
        None,
        "198.51.100.7",
        "nobody@example.com",
    )
    only_alice = await core.audit.entries(AuditQuery(account_id=alice.id, action="take_over"), by=admin)
    assert [row.conversation_id for row in only_alice.rows] == [cid]
    assert "take_over" in await core.audit.export_csv(AuditQuery(), by=admin)
    with pytest.raises(Forbidden):
        await core.audit.entries(AuditQuery(), by=alice)
    with pytest.raises(Forbidden):
        await core.audit.export_csv(AuditQuery(), by=alice)
