"""History: the full-text search, the first page of a filtered list and the reports over a large history, on
SQLite and on PostgreSQL, with rare words and with words in every other message, alone and with filters
(issue 19's aims: search p95 <= 200 ms, first filtered page <= 300 ms, a report of
100,000 conversations <= 1 s, with 100,000 conversations and 1,000,000 messages).

    .venv/bin/python -m bench.history [--conversations 100000] [--messages 1000000] [--backend sqlite]

The history is written row by row through the real schema (its triggers keep the search index), in big
transactions; then each query runs through the core (`History.search`), timed from the caller.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from bench.common import on_each_backend
from handoff.core import Core
from handoff.history import HistoryQuery
from handoff.reports import ReportQuery
from handoff.settings import Settings
from models import AttentionFlag, AuditEntry, Conversation, Message

# A vocabulary with a long tail, as support chat has: a few words in most messages, most words rare.
COMMON = "my order the is where it please help can you refund when delivery account card payment".split()
RARE = [
    f"{stem}{n}" for stem in ("kettle", "voucher", "sku", "parcel", "ticket", "invoice") for n in range(800)
]
BATCH = 20_000


def sentence(rng: random.Random) -> str:
    words = [rng.choice(COMMON) for _ in range(rng.randint(5, 14))]
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randrange(len(words)), rng.choice(RARE))
    return " ".join(words)


async def seed(core: Core, conversations: int, messages: int) -> None:
    rng = random.Random(19)
    await core.services.add(slug="shop", name="Shop")
    await core.services.add(slug="bank", name="Bank")
    services = {s.slug: s.id for s in await core.services.all()}
    per_conversation = max(1, messages // conversations)
    start = datetime.now(UTC) - timedelta(days=365)
    pending_conversations: list[dict[str, object]] = []
    pending_messages: list[dict[str, object]] = []
    pending_flags: list[dict[str, object]] = []
    pending_audit: list[dict[str, object]] = []

    async def flush() -> None:
        async with core.db.write() as session:
            if pending_conversations:
                await session.execute(insert(Conversation), pending_conversations)
            if pending_messages:
                await session.execute(insert(Message), pending_messages)
            if pending_flags:
                await session.execute(insert(AttentionFlag), pending_flags)
            if pending_audit:
                await session.execute(insert(AuditEntry), pending_audit)
        for pending in (pending_conversations, pending_messages, pending_flags, pending_audit):
            pending.clear()

    for number in range(conversations):
        cid = uuid.uuid4().hex
        started = start + timedelta(seconds=number * 315)  # a year of them
        ended = number < conversations - 500  # the newest 500 are live
        question = sentence(rng)
        pending_conversations.append(
            {
                "id": cid,
                "service_id": services["shop" if number % 3 else "bank"],
                "token_hash": "x" * 64,
                "status": "ai_active",
                "opening_question": question,
                "city": ("Berlin", "Lyon", "Austin", "Osaka")[number % 4],
                "started_at": started,
                "last_activity_at": started,
                "ended_at": started + timedelta(minutes=9) if ended else None,
                "message_count": per_conversation,
            }
        )
        # As a busy console has it: 1 in 10 flagged, half of those taken over (a human answers from the
        # fourth message on), an AI answer in 12 a Non-Answer, one in 20 rated.
        flagged = rng.random() < 0.1
        taken = flagged and rng.random() < 0.5
        if flagged:
            pending_flags.append(
                {
                    "conversation_id": cid,
                    "kind": rng.choice(("thumbs_down", "non_answer", "negative_sentiment", "help_requested")),
                    "reason": "seeded",
                    "opened_at": started + timedelta(seconds=50),
                    "closed_at": started + timedelta(seconds=120 if taken else 300),
                    "closed_how": "acknowledged" if taken else rng.choice(("dismissed", "not_needed")),
                }
            )
        if taken:
            pending_audit.append(
                {
                    "at": started + timedelta(seconds=rng.randint(60, 600)),
                    "action": "take_over",
                    "conversation_id": cid,
                    "details": {},
                }
            )
        for turn in range(per_conversation):
            role = "user" if turn % 2 == 0 else ("human" if taken and turn > 2 else "ai")
            pending_messages.append(
                {
                    "conversation_id": cid,
                    "role": role,
                    "text": question if turn == 0 else sentence(rng),
                    "answered": (rng.random() > 1 / 12) if role == "ai" else None,
                    "rating": rng.choice(("up", "down")) if role == "ai" and rng.random() < 0.05 else None,
                    "created_at": started + timedelta(seconds=turn * 20),
                }
            )
        if len(pending_messages) >= BATCH:
            await flush()
    await flush()


async def timed(core: Core, query: HistoryQuery, rounds: int) -> dict[str, float]:
    values = []
    for _ in range(rounds):
        began = time.perf_counter()
        await core.history.search(query)
        values.append((time.perf_counter() - began) * 1000)
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
    }


async def measure(
    url: str, backend: str, conversations: int, messages: int, knowledge: str
) -> dict[str, object]:
    core = Core.create(Settings(database_url=url, knowledge_root=knowledge, sqlite_synchronous="OFF"))
    await core.start()
    began = time.perf_counter()
    await seed(core, conversations, messages)
    seeded_s = round(time.perf_counter() - began, 1)
    if not core.db.is_sqlite:  # statistics, as a database that has lived with its rows has them
        async with core.db.write_engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    print(
        f"history {backend}: {conversations} conversations, {messages} messages written in {seeded_s} s",
        flush=True,
    )
    rng = random.Random(7)
    figures: dict[str, object] = {"seed_s": seeded_s}
    searches = []
    for word in [rng.choice(RARE) for _ in range(40)]:
        searches.append(await timed(core, HistoryQuery(text=word), 1))
    all_values = sorted(s["p50_ms"] for s in searches)
    figures["search_rare_word"] = {
        "p50_ms": round(statistics.median(all_values), 1),
        "p95_ms": all_values[min(len(all_values) - 1, int(len(all_values) * 0.95))],
    }
    figures["search_two_words"] = await timed(core, HistoryQuery(text=f"refund {RARE[5]}"), 20)
    figures["search_prefix_common"] = await timed(core, HistoryQuery(text="deliv"), 10)
    figures["search_common_page_5"] = await timed(core, HistoryQuery(text="delivery", page=5), 10)
    figures["search_common_two_filters"] = await timed(
        core, HistoryQuery(text="refund", services=("bank",), place="Berlin"), 10
    )
    figures["search_common_live_only"] = await timed(core, HistoryQuery(text="refund", status="live"), 10)
    figures["search_prefix_of_eleven_words"] = await timed(core, HistoryQuery(text="ticket34"), 10)
    figures["first_page_unfiltered"] = await timed(core, HistoryQuery(), 20)
    figures["first_page_filtered"] = await timed(
        core, HistoryQuery(services=("bank",), status="ended", place="Berlin"), 20
    )
    figures["first_page_flag_filter"] = await timed(core, HistoryQuery(flag="help_requested"), 20)
    today = datetime.now(UTC).date()
    for label, days in (("report_30_days", 30), ("report_365_days", 365)):
        values = []
        for _ in range(5):
            began = time.perf_counter()
            await core.reports.report(ReportQuery(today - timedelta(days=days - 1), today))
            values.append((time.perf_counter() - began) * 1000)
        figures[label] = {"median_ms": round(statistics.median(values), 1), "max_ms": round(max(values), 1)}
    for name, value in figures.items():
        print(f"history {backend}: {name} {value}", flush=True)
    await core.stop()
    return figures


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    async def on(url: str, folder: Path) -> dict[str, object]:
        backend = "postgres" if url.startswith("postgresql") else "sqlite"
        return await measure(url, backend, args.conversations, args.messages, str(folder))

    heading: dict[str, object] = {"benchmark": "history"}
    return heading | await on_each_backend(args.backend, on)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.history")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
