"""Several processes on one PostgreSQL database and one Redis: two cores in this test stand for two
`main.py serve` processes (each with its own bus, origin, AI worker and console state).

Needs PostgreSQL (HANDOFF_TEST_POSTGRES_URL) and Redis (HANDOFF_TEST_REDIS_URL); skips with the reason when
either is absent. Every test writes its Redis keys under a prefix of its own and deletes them afterwards;
the test that takes Redis away starts a Redis of its own on another port.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

import main
from detection.defaults import default_detectors
from handoff.bus import EventBus
from handoff.core import Core
from handoff.errors import AlreadyClaimed
from handoff.events import (
    ConversationTakenOver,
    ConversationUpdated,
    Event,
    EventsMissed,
    MessageAdded,
    ServiceModeChanged,
    ViewersChanged,
)
from handoff.handoffs import joined_text
from handoff.ratelimit import RedisRateLimiter
from handoff.redis_bus import RedisBus
from handoff.settings import Settings
from handoff.views import AgentRef, ConversationView, MessageView, Viewer
from handoff.wire import BadFrame, WireFormat
from handoff_ui.board_index import BoardIndex
from handoff_ui.live import Live
from models import Account, Message, Service
from tests.conftest import scratch_postgres_database
from tests.receiver import Receiver
from tests.support import REDIS_URL, event_types, free_port, sample_of

SAMPLES = Path(__file__).resolve().parents[2] / "handoff" / "samples"
WAIT = 20.0  # seconds a test waits for something to arrive before it fails


class Heard:
    """Watches a bus: `until(check)` returns once `check()` is true, re-checked after every event the bus
    delivers (once the delivery is over, so that every subscriber has seen it), or fails after WAIT."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        self._subscription = bus.subscribe(Event, self._on)

    def _on(self, event: Event) -> None:
        self.events.append(event)
        asyncio.get_running_loop().call_soon(self._changed.set)

    async def until(self, check: Callable[[], bool], what: str) -> None:
        try:
            async with asyncio.timeout(WAIT):
                while not check():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"after {WAIT} s still not: {what}")

    def of(self, kind: type[Event]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


async def reachable_redis(url: str) -> redis.Redis:
    client = redis.from_url(url, socket_connect_timeout=1)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        pytest.skip(f"Redis is not reachable at {url}: {error}")
    return client


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A Redis key prefix of this test's own, its keys deleted afterwards (never a flush)."""
    client = await reachable_redis(REDIS_URL)
    prefix = f"handoff-test-{uuid.uuid4().hex[:10]}:"
    yield prefix
    keys = [key async for key in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@asynccontextmanager
async def two_processes(
    tmp_path: Path, redis_url: str, prefix: str, **more: Any
) -> AsyncIterator[tuple[Core, Core]]:
    async with scratch_postgres_database() as url:
        settings = Settings(
            database_url=url,
            knowledge_root=str(tmp_path / "knowledge"),
            redis_url=redis_url,
            redis_key_prefix=prefix,
            **more,
        )
        one = Core.create(settings, detectors=default_detectors())
        await one.start()
        two = Core.create(settings, detectors=default_detectors())
        await two.start()
        try:
            yield one, two
        finally:
            await two.stop()
            await one.stop()


@pytest.fixture
async def pair(tmp_path: Path, prefix: str) -> AsyncIterator[tuple[Core, Core]]:
    async with two_processes(tmp_path, REDIS_URL, prefix) as cores:
        yield cores


async def agents(core: Core) -> tuple[AgentRef, AgentRef]:
    return (
        await core.accounts.add(email="alice@example.com", name="Alice", password="password-1"),
        await core.accounts.add(email="bob@example.com", name="Bob", password="password-1"),
    )


# -- one process's events reach the other ------------------------------------------------------------------


async def test_a_customer_writing_through_one_process_is_heard_by_the_other(
    pair: tuple[Core, Core],
) -> None:
    one, two = pair
    assert one.bus.origin != two.bus.origin and one.bus.shared
    heard_on_one = Heard(one.bus)
    done_here: list[Event] = []
    one.bus.subscribe(MessageAdded, done_here.append, local_only=True)
    await two.services.add(slug="shop", name="Shop")
    started = await two.conversations.start(service_slug="shop", text="Where is my parcel?")
    cid = started.conversation.id
    await two.conversations.add_customer_message(conversation_id=cid, text="It was due on Monday")

    def both_messages() -> bool:
        return [m.message.text for m in heard_on_one.of(MessageAdded)] == [
            "Where is my parcel?",
            "It was due on Monday",
        ]

    await heard_on_one.until(both_messages, "the other process heard both messages, in order")
    cards = [e.after for e in heard_on_one.of(ConversationUpdated) if e.after.id == cid]
    assert cards[-1].message_count == 2 and cards[-1].revision > cards[0].revision
    assert done_here == []  # work that must happen once is not done by a process that only heard of it


async def test_a_mode_change_made_on_one_reaches_the_other(pair: tuple[Core, Core]) -> None:
    one, two = pair
    await one.services.add(slug="shop", name="Shop")
    heard = Heard(two.bus)
    await one.services.set_mode(slug="shop", mode="human_only", agent=None)
    await heard.until(lambda: bool(heard.of(ServiceModeChanged)), "the other process heard the mode change")
    changed = heard.of(ServiceModeChanged)[0]
    assert (changed.service.slug, changed.service.mode, changed.previous_mode) == (
        "shop",
        "human_only",
        "human_supported",
    )


async def test_one_ai_reply_per_customer_message_however_many_processes(pair: tuple[Core, Core]) -> None:
    one = pair[0]
    await one.services.add(slug="shop", name="Web Shop", knowledge_dir=str(SAMPLES / "shop"))
    heard = {core.bus.origin: Heard(core.bus) for core in pair}
    ids = []
    for n in range(10):
        core = pair[n % 2]
        started = await core.conversations.start(service_slug="shop", text="Do you ship to Canada?")
        await core.conversations.add_customer_message(
            conversation_id=started.conversation.id, text="How much is shipping?"
        )
        ids.append(started.conversation.id)
    for core in pair:  # each hears every AI reply (20), whichever process wrote it
        watch = heard[core.bus.origin]
        await watch.until(
            lambda w=watch: sum(m.message.role == "ai" for m in w.of(MessageAdded)) >= 20,
            "every AI reply heard on both processes",
        )
        await core.bus.drain()
    async with one.db.read() as session:
        replies = await session.execute(
            select(Message.conversation_id, func.count())
            .where(Message.role == "ai", Message.conversation_id.in_(ids))
            .group_by(Message.conversation_id)
        )
        assert dict(replies.all()) == {cid: 2 for cid in ids}


async def test_take_over_races_split_across_processes_have_one_winner_and_no_ai_after(
    pair: tuple[Core, Core],
) -> None:
    one, two = pair
    alice, bob = await agents(one)
    await one.services.add(slug="shop", name="Web Shop", knowledge_dir=str(SAMPLES / "shop"))
    for n in range(15):
        started = await one.conversations.start(service_slug="shop")
        cid = started.conversation.id
        customer = pair[n % 2].conversations.add_customer_message(
            conversation_id=cid, text="Do you ship to Canada?"
        )
        results = await asyncio.gather(
            one.handoffs.take_over(conversation_id=cid, agent=alice),
            two.handoffs.take_over(conversation_id=cid, agent=bob),
            customer,
            return_exceptions=True,
        )
        winners = [r for r in results[:2] if isinstance(r, ConversationView)]
        assert len(winners) == 1, results
        assert sum(isinstance(r, AlreadyClaimed) for r in results[:2]) == 1
        for core in pair:
            await core.bus.drain()
        roles = [m.role for m in await two.conversations.messages(cid)]
        joined = roles.index("system")
        assert "ai" not in roles[joined:], roles


async def test_counters_and_cards_agree_on_both_after_a_mixed_series(pair: tuple[Core, Core]) -> None:
    one, two = pair
    alice, bob = await agents(one)
    await one.services.add(slug="shop", name="Shop")
    await two.services.add(slug="desk", name="Desk")
    lives = [Live(one), Live(two)]
    for live in lives:
        await live.start()
    try:
        ids = []
        for n in range(12):
            core = pair[n % 2]
            text = "This is useless, I want to talk to a human" if n % 3 == 0 else "Do you ship to Canada?"
            started = await core.conversations.start(service_slug=("shop", "desk")[n % 2], text=text)
            ids.append(started.conversation.id)
        await one.handoffs.take_over(conversation_id=ids[0], agent=alice)
        await two.handoffs.take_over(conversation_id=ids[1], agent=bob)
        await two.handoffs.release(conversation_id=ids[1], agent=bob)
        await one.handoffs.take_over(conversation_id=ids[3], agent=alice)
        await two.handoffs.resume_ai(conversation_id=ids[3], agent=alice)
        await two.conversations.end(conversation_id=ids[4])
        await one.conversations.end(conversation_id=ids[5])
        await one.services.set_mode(slug="desk", mode="human_only", agent=None)
        await two.conversations.add_customer_message(conversation_id=ids[6], text="Thanks, that helps")
        truth = await one.board.stats()
        # A card keeps the service_mode it had when it last changed: the pages show a service's mode from
        # ServiceModeChanged, per service, so that field is left out of the comparison.
        cards = {card.id: _any_mode(card) for card in await one.board.active_cards()}
        assert truth.active == 10 and truth.paused >= 1 and truth.attention >= 1
        for core, live in zip(pair, lives, strict=True):
            watch = Heard(core.bus)
            await watch.until(
                lambda live=live: (
                    live.stats == truth
                    and {c.id for c in live.index.waiting()}
                    == {i for i, c in cards.items() if c.needs_attention}
                    and all(_any_mode(live.index.get(cid)) == card for cid, card in cards.items())
                ),
                f"the counters and cards of {core.bus.origin} agree with the database",
            )
    finally:
        for live in lives:
            await live.stop()


def holder(live: Live, conversation_id: str) -> int | None:
    card = live.index.get(conversation_id)
    return card.claimed_by_id if card else None


def _any_mode(card: ConversationView | None) -> ConversationView | None:
    return card and replace(card, service_mode="human_supported")


async def test_an_agents_open_panel_shows_on_the_other_processes_pages(pair: tuple[Core, Core]) -> None:
    one, two = pair
    alice, bob = await agents(one)
    await one.services.add(slug="shop", name="Shop")
    cid = (await one.conversations.start(service_slug="shop", text="Hello")).conversation.id
    heard_on_two, heard_on_one = Heard(two.bus), Heard(one.bus)
    for core, agent in ((one, alice), (two, bob)):
        core.presence.open_tab(f"tab-{agent.id}", agent)
        core.presence.connected(f"tab-{agent.id}")
        core.presence.view(f"tab-{agent.id}", cid)
    both = (Viewer(alice.id, "Alice"), Viewer(bob.id, "Bob"))
    for core, heard in ((one, heard_on_one), (two, heard_on_two)):
        await heard.until(
            lambda core=core, heard=heard: (
                core.presence.online() == both and any(e.viewers == both for e in heard.of(ViewersChanged))
            ),
            f"{core.bus.origin} shows both agents on the conversation",
        )
        assert core.presence.viewers(cid) == both
    await one.presence.stop()  # a process that stops: the other forgets its tabs at once
    await heard_on_two.until(
        lambda: two.presence.viewers(cid) == (Viewer(bob.id, "Bob"),), "the stopped process's agent gone"
    )


async def test_a_customers_event_stream_on_one_process_gets_what_is_written_through_the_other(
    pair: tuple[Core, Core],
) -> None:
    one, two = pair
    alice, _ = await agents(one)
    await one.services.add(slug="shop", name="Shop")
    cid = (await one.conversations.start(service_slug="shop", text="Hello")).conversation.id
    async with one.streams.feed(cid) as feed:  # the customer's stream is on the first process
        await two.handoffs.take_over(conversation_id=cid, agent=alice)
        await two.handoffs.send(conversation_id=cid, agent=alice, text="Hi, Alice here")
        texts: list[str] = []
        async with asyncio.timeout(WAIT):
            while "Hi, Alice here" not in texts:
                item = await feed.next(WAIT)
                texts += [item.text] if isinstance(item, MessageView) else []
    assert texts == [joined_text("Alice"), "Hi, Alice here"]


async def test_each_webhook_delivery_goes_once_however_many_processes(
    tmp_path: Path, prefix: str, receiver: Receiver
) -> None:
    quick = {"webhook_allow_private_addresses": True, "webhook_backoff_seconds": 0.05}
    async with two_processes(tmp_path, REDIS_URL, prefix, **quick) as (one, two):
        await one.webhooks.add(url=receiver.url, events=["message.created"], by=None)
        await two.services.add(slug="shop", name="Shop")
        for n in range(10):
            await (one, two)[n % 2].conversations.start(service_slug="shop", text=f"Question {n}")
        got = await asyncio.to_thread(receiver.wait_for, 10, event="message.created")
        for core in (one, two, one, two):  # both senders look at the outbox again: nothing goes twice
            await core.webhook_worker.deliver_due()
        deliveries = [
            r.delivery for r in receiver.requests if r.headers.get("x-handoff-event") == "message.created"
        ]
        assert len(got) == 10 and len(deliveries) == len(set(deliveries)) == 10


# -- shared limits and a shared start ------------------------------------------------------------------------


async def test_the_chat_rate_limit_holds_across_processes(prefix: str) -> None:
    limiters = [RedisRateLimiter(REDIS_URL, per_minute=6, burst=4, prefix=prefix) for _ in range(2)]
    try:
        taken = [await limiters[n % 2].take("203.0.113.9") for n in range(6)]
        assert taken == [True, True, True, True, False, False]  # four in all, not four per process
        assert await limiters[1].take("198.51.100.1")  # another customer has a bucket of its own
    finally:
        for limiter in limiters:
            await limiter.close()


async def test_processes_started_together_prepare_the_database_once(tmp_path: Path) -> None:
    async with scratch_postgres_database() as url:
        settings = Settings(
            database_url=url,
            knowledge_root=str(tmp_path / "knowledge"),
            admin_email="admin@example.com",
            admin_password="a-long-password",
        )
        secrets = await asyncio.gather(*(main._prepare(settings) for _ in range(3)))
        assert len(set(secrets)) == 1  # one session secret: a cookie signed by one process opens the others
        core = Core.create(settings)
        try:
            async with core.db.read() as session:
                assert await session.scalar(select(func.count()).select_from(Account)) == 1
                assert await session.scalar(select(func.count()).select_from(Service)) == 2
        finally:
            await core.db.dispose()


# -- Redis away for a while ----------------------------------------------------------------------------------


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[[bool], str]]:
    """A Redis of this test's own on a free port: `own_redis(True)` starts it (again), `False` stops it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the test that takes Redis away needs one of its own")
    port = free_port()
    running: list[subprocess.Popen[bytes]] = []

    def switch(on: bool) -> str:
        if on:
            process = subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
            )
            running.append(process)
        else:
            process = running.pop()
            process.terminate()
            process.wait(10)
        return f"redis://127.0.0.1:{port}/0"

    yield switch
    for process in running:
        process.terminate()
        process.wait(10)


async def test_with_redis_away_each_process_serves_its_own_and_resyncs_when_it_is_back(
    tmp_path: Path, own_redis: Callable[[bool], str], caplog: pytest.LogCaptureFixture
) -> None:
    url = own_redis(True)
    client = redis.from_url(url)
    async with asyncio.timeout(WAIT):  # the new server takes a moment to listen
        while True:
            try:
                await client.ping()
                break
            except (RedisError, OSError):
                await asyncio.sleep(0.05)
    await client.aclose()
    async with two_processes(tmp_path, url, "handoff:") as (one, two):
        alice, _ = await agents(one)
        await one.services.add(slug="shop", name="Shop")
        cid = (await one.conversations.start(service_slug="shop", text="Hello")).conversation.id
        lives = [Live(one), Live(two)]
        for live in lives:
            await live.start()
        try:
            heard_on_one, heard_on_two = Heard(one.bus), Heard(two.bus)
            own_redis(False)
            bus_one, bus_two = one.bus, two.bus
            assert isinstance(bus_one, RedisBus) and isinstance(bus_two, RedisBus)
            # Redis is gone. A change on one process shows on its own pages at once ...
            await one.handoffs.take_over(conversation_id=cid, agent=alice)
            assert lives[0].stats.paused == 1 and holder(lives[0], cid) == alice.id
            # ... and the other, which could not hear it, catches up once Redis is back.
            with caplog.at_level(logging.WARNING, logger="handoff.redis_bus"):
                own_redis(True)
                await heard_on_two.until(
                    lambda: bool(heard_on_two.of(EventsMissed)), "the other process resynced"
                )
                await heard_on_two.until(
                    lambda: lives[1].stats.paused == 1 and holder(lives[1], cid) == alice.id,
                    "the other process shows the take over made while Redis was away",
                )
            assert "resyncing from the database" in caplog.text
            # What the first process published while Redis was away was kept, and arrives too.
            await heard_on_two.until(
                lambda: bool(heard_on_two.of(ConversationTakenOver)), "the take over itself heard late"
            )
            await heard_on_one.until(lambda: bool(heard_on_one.of(EventsMissed)), "the first one back too")
            async with asyncio.timeout(WAIT):
                await bus_one.sent_all()
            assert bus_one.connected and bus_two.connected
        finally:
            for live in lives:
                await live.stop()


# -- the wire format and the newest card -------------------------------------------------------------------


def test_every_event_that_leaves_a_process_comes_back_as_it_was() -> None:
    wire = WireFormat()
    kinds = event_types()
    carried = [kind for kind in kinds if not kind.local_only]
    assert len(carried) >= 20 and EventsMissed not in carried and ViewersChanged not in carried
    for kind in carried:
        event = sample_of(kind)
        fields = {key.encode(): value for key, value in wire.encode(event, "host:1:abc").items()}
        frame = wire.decode(fields)
        assert (frame.origin, frame.event) == ("host:1:abc", event), kind
    with pytest.raises(BadFrame):
        wire.encode(EventsMissed("local"), "host:1:abc")


TYPING = b'{"conversation_id": "c", "agent_name": "A"}'


def _frame(
    v: bytes = b"1", origin: bytes = b"o", type: bytes = b"AgentTyping", event: bytes = TYPING
) -> dict:
    return {b"v": v, b"origin": origin, b"type": type, b"event": event}


@pytest.mark.parametrize(
    "frame",
    [
        _frame(event=b"not json"),
        _frame(event=b"[1]"),
        _frame(v=b"2"),
        {b"v": b"1", b"type": b"AgentTyping", b"event": TYPING},
        _frame(type=b"Pickle"),
        _frame(type=b"EventsMissed", event=b'{"reason": "x"}'),
        _frame(event=b'{"conversation_id": 5}'),
    ],
    ids=[
        "not-json",
        "not-an-object",
        "newer-version",
        "no-origin",
        "unknown-type",
        "local-only",
        "bad-fields",
    ],
)
def test_a_frame_that_does_not_fit_is_refused_whole(frame: dict[bytes, bytes]) -> None:
    with pytest.raises(BadFrame):
        WireFormat().decode(frame)


def _card(revision: int, *, ended: bool = False, flagged: bool = False) -> ConversationView:
    card: ConversationView = sample_of(ConversationView)
    return replace(
        card,
        id="c1",
        claimed_by_id=None,
        ended_at=card.started_at if ended else None,
        open_flags=card.open_flags if flagged else (),
        revision=revision,
    )


def test_a_card_arriving_late_behind_a_newer_one_changes_nothing() -> None:
    index = BoardIndex()
    assert index.apply(_card(2, flagged=True))
    assert not index.apply(_card(1))  # older: the newer one stays
    assert index.get("c1") == _card(2, flagged=True) and index.stats().attention == 1
    assert index.apply(_card(3, ended=True))
    assert not index.apply(_card(2, flagged=True))  # an ended conversation is not revived by an older card
    assert index.get("c1") is None and index.stats().active == 0
