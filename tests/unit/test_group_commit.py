"""Group commit: customer messages that arrive together share one transaction, and each still behaves as if it
had been written alone (order, counts, detectors, duplicates, errors, events)."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy.exc import OperationalError

from handoff import records
from handoff.batching import GroupCommit, Pending
from handoff.core import Core
from handoff.errors import Conflict, NotFound
from handoff.events import ConversationUpdated, FlagOpened

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


async def start(core: Core, text: str = "Hello") -> str:
    return (await core.conversations.start(service_slug="shop", text=text)).conversation.id


def batches(core: Core) -> int:
    return core.conversations._customer_messages.batches_written


@BOTH
async def test_messages_sent_together_share_one_transaction_and_keep_their_order(server_core: Core) -> None:
    first, second = await start(server_core), await start(server_core)
    texts = [f"question {i}" for i in range(10)]
    written_before = batches(server_core)
    added = await asyncio.gather(
        *(server_core.conversations.add_customer_message(conversation_id=first, text=t) for t in texts),
        server_core.conversations.add_customer_message(conversation_id=second, text="other"),
    )
    assert batches(server_core) == written_before + 1
    ids = [a.message.id for a in added[:10]]
    assert ids == sorted(ids) and all(a.created for a in added)
    stored = await server_core.conversations.messages(first)
    assert [m.text for m in stored] == ["Hello", *texts]
    assert (await server_core.conversations.get(first)).message_count == 11
    assert (await server_core.conversations.get(second)).message_count == 2


async def test_each_message_in_a_batch_announces_its_own_change(server_core: Core) -> None:
    cid = await start(server_core)
    changes: list[ConversationUpdated] = []
    server_core.bus.subscribe(ConversationUpdated, changes.append)
    await asyncio.gather(
        *(server_core.conversations.add_customer_message(conversation_id=cid, text=f"m{i}") for i in range(4))
    )
    counts = [(c.before.message_count, c.after.message_count) for c in changes if c.before is not None]
    assert counts == [(1, 2), (2, 3), (3, 4), (4, 5)]
    assert all(a.after == b.before for a, b in itertools.pairwise(changes))


@BOTH
async def test_the_detectors_see_earlier_messages_of_the_same_batch(server_core: Core) -> None:
    cid = await start(server_core, "Hi")
    opened: list[FlagOpened] = []
    server_core.bus.subscribe(FlagOpened, opened.append)
    written_before = batches(server_core)
    first, second = await asyncio.gather(
        server_core.conversations.add_customer_message(conversation_id=cid, text="my parcel is late"),
        server_core.conversations.add_customer_message(
            conversation_id=cid, text="the tracking page is wrong too"
        ),
    )
    assert batches(server_core) == written_before + 1
    [event] = opened
    assert event.flag.kind == "negative_feedback"
    assert event.flag.reason.startswith("Two negative messages in a row")
    assert event.flag.id is not None and event.flag.message_id == second.message.id
    assert event.conversation.needs_attention
    card = await server_core.conversations.get(cid)
    assert [f.id for f in card.open_flags] == [event.flag.id]
    assert first.message.id < second.message.id


async def test_one_bad_message_does_not_fail_the_others(server_core: Core) -> None:
    ended, alive = await start(server_core), await start(server_core)
    await server_core.conversations.end(conversation_id=ended)
    results = await asyncio.gather(
        server_core.conversations.add_customer_message(conversation_id=ended, text="still there?"),
        server_core.conversations.add_customer_message(conversation_id="no-such-id", text="hello?"),
        server_core.conversations.add_customer_message(conversation_id=alive, text="fine"),
        return_exceptions=True,
    )
    assert isinstance(results[0], Conflict) and isinstance(results[1], NotFound)
    assert [m.text for m in await server_core.conversations.messages(alive)] == ["Hello", "fine"]
    assert [m.text for m in await server_core.conversations.messages(ended)] == ["Hello"]


async def test_a_client_message_id_repeated_within_one_batch_is_stored_once(server_core: Core) -> None:
    cid = await start(server_core)
    first, again = await asyncio.gather(
        server_core.conversations.add_customer_message(
            conversation_id=cid, text="once", client_message_id="c1"
        ),
        server_core.conversations.add_customer_message(
            conversation_id=cid, text="once", client_message_id="c1"
        ),
    )
    assert first.created and not again.created and again.message.id == first.message.id
    assert [m.text for m in await server_core.conversations.messages(cid)] == ["Hello", "once"]


async def test_a_batch_that_fails_as_a_whole_is_retried_message_by_message(
    server_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = await start(server_core), await start(server_core)
    real = records.lock_conversations
    attempts: list[int] = []

    def fails_for_several(session, ids):  # type: ignore[no-untyped-def]
        attempts.append(len(ids))
        if len(ids) > 1:
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return real(session, ids)

    monkeypatch.setattr(records, "lock_conversations", fails_for_several)
    added = await asyncio.gather(
        server_core.conversations.add_customer_message(conversation_id=first, text="a"),
        server_core.conversations.add_customer_message(conversation_id=second, text="b"),
    )
    assert attempts == [2, 1, 1]
    assert all(a.created for a in added)
    assert [m.text for m in await server_core.conversations.messages(second)] == ["Hello", "b"]


async def test_a_writer_error_reaches_every_caller_of_its_batch() -> None:
    async def broken(batch: list[Pending[int, int]]) -> None:
        batch[0].resolve(batch[0].item * 10)
        raise RuntimeError("disk full")

    group: GroupCommit[int, int] = GroupCommit(broken)
    results = await asyncio.gather(*(group.submit(i) for i in (1, 2, 3)), return_exceptions=True)
    assert results[0] == 10
    assert all(isinstance(r, RuntimeError) and str(r) == "disk full" for r in results[1:])
    assert group.batches_written == 1


async def test_a_caller_that_went_away_before_its_batch_is_not_written() -> None:
    written: list[int] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(batch: list[Pending[int, int]]) -> None:
        started.set()
        await release.wait()
        for pending in batch:
            written.append(pending.item)
            pending.resolve(pending.item)

    group: GroupCommit[int, int] = GroupCommit(slow)
    first = asyncio.create_task(group.submit(1))
    await started.wait()  # the first batch is being written
    gone = asyncio.create_task(group.submit(2))
    kept = asyncio.create_task(group.submit(3))
    await asyncio.sleep(0)  # one turn of the loop: both tasks queue their item (no timed wait)
    gone.cancel()
    release.set()
    assert await first == 1 and await kept == 3
    assert written == [1, 3]
    assert group.batches_written == 2
