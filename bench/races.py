"""Take-over races at scale, on SQLite and PostgreSQL: in each race three agents click Take Over on the same
new conversation while the AI's reply to it is being stored. Exactly one agent may hold it, the two others
are told who does, and no AI message may follow the "joined" message. Counts every race that breaks a rule
(the figure must be 0) and the races per second.

    .venv/bin/python -m bench.races [--races 10000] [--at-once 20] [--backend sqlite|postgres]

Prints figures as it goes and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from bench.common import on_each_backend
from handoff.core import Core
from handoff.errors import AISilenced, AlreadyClaimed
from handoff.settings import Settings
from handoff.views import AgentRef
from models import Message

AGENTS = 3


async def race(core: Core, agents: list[AgentRef], number: int) -> list[str]:
    """One race; what went wrong in it (nothing, if the rules held)."""
    cid = (await core.conversations.start(service_slug="shop", text=f"Question {number}")).conversation.id
    order = agents[number % AGENTS :] + agents[: number % AGENTS]  # each agent first as often
    calls = [core.handoffs.take_over(conversation_id=cid, agent=agent) for agent in order]
    ai_at = number % (AGENTS + 1)  # the AI's reply goes first, second, ... as often as each
    calls.insert(ai_at, core.conversations.add_ai_message(conversation_id=cid, text="An answer"))
    results = await asyncio.gather(*calls, return_exceptions=True)
    reply, taken = results[ai_at], results[:ai_at] + results[ai_at + 1 :]
    wrong = []
    winners = [result for result in taken if not isinstance(result, BaseException)]
    if len(winners) != 1:
        wrong.append(f"{len(winners)} holders")
    losers = [result for result in taken if isinstance(result, BaseException)]
    if not all(isinstance(loser, AlreadyClaimed) for loser in losers):
        wrong.append(f"unexpected refusal {losers!r}")
    if isinstance(reply, BaseException) and not isinstance(reply, AISilenced):
        wrong.append(f"AI reply failed: {reply!r}")
    stored = await core.conversations.get(cid)
    if winners and stored.claimed_by_name != winners[0].claimed_by_name:  # type: ignore[union-attr]
        wrong.append("stored holder differs from the winner")
    roles = [message.role for message in await core.conversations.messages(cid)]
    if roles.count("system") != 1:
        wrong.append(f"{roles.count('system')} joined messages")
    elif "ai" in roles[roles.index("system") :]:
        wrong.append("AI message after the take over")
    return wrong


async def run(settings: Settings, races: int, at_once: int) -> dict[str, object]:
    core = Core.create(settings)
    await core.db.migrate()
    await core.start()
    try:
        await core.services.add(slug="shop", name="Shop")
        agents = [
            await core.accounts.add(email=f"agent{i}@example.com", name=f"Agent {i}", password="password-1")
            for i in range(AGENTS)
        ]
        broken: Counter[str] = Counter()
        started = time.perf_counter()
        for first in range(0, races, at_once):
            batch = range(first, min(races, first + at_once))
            for wrong in await asyncio.gather(*(race(core, agents, number) for number in batch)):
                broken.update(wrong)
            if (first // at_once) % 50 == 0:
                print(f"  {first + len(batch)} races, {sum(broken.values())} broken", flush=True)
        elapsed = time.perf_counter() - started
        async with core.db.read() as session:
            ai_landed = int(
                await session.scalar(select(func.count(Message.id)).where(Message.role == "ai")) or 0
            )
    finally:
        await core.stop()
    return {
        "races": races,
        "broken": dict(broken),
        "broken_races_total": sum(broken.values()),
        "ai_messages_stored": ai_landed,
        "races_per_second": round(races / elapsed, 1),
    }


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    async def measure(url: str, _folder: Path) -> dict[str, object]:
        return await run(Settings(database_url=url), args.races, args.at_once)

    heading: dict[str, object] = {"benchmark": "races", "agents_per_race": AGENTS, "at_once": args.at_once}
    return heading | await on_each_backend(args.backend, measure)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.races")
    parser.add_argument("--races", type=int, default=10_000)
    parser.add_argument("--at-once", type=int, default=20, help="races run concurrently")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
