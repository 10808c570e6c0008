"""Durable SQLite commits flushed after they are visible (models/flush.py): nobody is answered before the
flush that covers their commit has ended, flushes are shared by the commits made meanwhile, the consoles see a
customer's message before the disk flush ends, and a failed flush is never an acknowledgement."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sized
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from handoff.batching import GroupCommit, Pending
from handoff.core import Core
from handoff.events import ConversationUpdated, MessageAdded
from handoff.settings import Settings
from models import flush
from models.database import Database
from models.flush import Flusher, WalFile


class Disk:
    """A stand-in for the disk flush. While `hold` is set, each flush blocks until the test releases it."""

    def __init__(self) -> None:
        self.hold = True
        self.started = threading.Semaphore(0)
        self.release = threading.Semaphore(0)
        self.flushes = 0
        self.error: Exception | None = None

    def sync(self) -> None:
        if self.hold:
            self.started.release()
            if not self.release.acquire(timeout=30):
                raise TimeoutError("the test never released the flush")
        self.flushes += 1
        if self.error is not None:
            raise self.error

    async def flush_started(self) -> None:
        assert await asyncio.to_thread(self.started.acquire, True, 30), "no flush started"


async def settle() -> None:
    """Let every task that can run do so (no timed wait): a few turns of the loop."""
    for _ in range(5):
        await asyncio.sleep(0)


async def committed(rows: Callable[[], Awaitable[Sized]], count: int) -> None:
    """Wait until a read finds `count` rows: a commit made on the writer thread (polled, for 30 s at most)."""
    for _ in range(3000):
        if len(await rows()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {count} rows after 30 s")


# -- the flusher --------------------------------------------------------------------------------------------


async def test_callers_during_a_flush_share_the_next_one_and_none_returns_early() -> None:
    disk = Disk()
    flusher = Flusher(disk.sync)
    first = asyncio.create_task(flusher.flushed())
    await disk.flush_started()  # flush 1 covers what was committed before `first` asked
    later = [
        asyncio.create_task(flusher.flushed()) for _ in range(3)
    ]  # they may have committed after it began
    await settle()
    disk.release.release()
    await first
    await disk.flush_started()  # flush 2, for the three
    await settle()
    assert not any(task.done() for task in later)  # flush 1 ended, but it began before they asked
    disk.release.release()
    await asyncio.gather(*later)
    assert disk.flushes == flusher.flushes == 2
    await flusher.close()


async def test_a_failed_flush_raises_in_each_caller_it_served_and_the_next_caller_starts_afresh() -> None:
    disk = Disk()
    disk.error = OSError(5, "Input/output error")
    flusher = Flusher(disk.sync)
    callers = [asyncio.create_task(flusher.flushed()) for _ in range(2)]
    await disk.flush_started()
    disk.release.release()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(result, OSError) for result in results)
    disk.error = None
    disk.release.release()
    await flusher.flushed()
    assert disk.flushes == 2
    await flusher.close()


async def test_a_caller_that_gives_up_does_not_cancel_the_flush_for_the_others() -> None:
    disk = Disk()
    flusher = Flusher(disk.sync)
    gone, kept = asyncio.create_task(flusher.flushed()), asyncio.create_task(flusher.flushed())
    await disk.flush_started()
    gone.cancel()
    disk.release.release()
    await kept
    assert gone.cancelled() and disk.flushes == 1
    await flusher.close()


def test_the_wal_file_is_flushed_and_its_folder_whenever_the_file_is_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "handoff.db"
    wal = tmp_path / "handoff.db-wal"
    synced: list[tuple[str, int]] = []
    real_fdatasync, real_fsync = os.fdatasync, os.fsync

    def fdatasync(fd: int) -> None:
        synced.append(("data", os.fstat(fd).st_ino))
        real_fdatasync(fd)

    def fsync(fd: int) -> None:
        synced.append(("all", os.fstat(fd).st_ino))
        real_fsync(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(os, "fsync", fsync)
    wal_file = WalFile(database)
    wal_file.sync()  # no WAL file (every connection closed, SQLite checkpointed it): nothing to flush
    assert synced == []
    wal.write_bytes(b"frames")
    wal_file.sync()
    wal_file.sync()
    folder = tmp_path.stat().st_ino
    assert synced == [("data", wal.stat().st_ino), ("all", folder), ("data", wal.stat().st_ino)]
    wal.unlink()
    wal.write_bytes(b"a new file")
    wal_file.sync()
    assert synced[3:] == [("data", wal.stat().st_ino), ("all", folder)]
    wal_file.close()


# -- the database -------------------------------------------------------------------------------------------


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    """Every Database made during the test flushes through this stand-in instead of the WAL file."""
    disk = Disk()
    monkeypatch.setattr(flush.WalFile, "sync", lambda _self: disk.sync())
    yield disk
    disk.hold = False
    disk.release.release()  # let go of a flush still waiting, so no thread outlives the test


@pytest.fixture
async def db(tmp_path: Path, disk: Disk) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}")  # FULL, the default
    async with database.write_engine.begin() as connection:
        await connection.exec_driver_sql("CREATE TABLE t (name TEXT PRIMARY KEY)")
    yield database
    await database.dispose()


def insert(session: Session, name: str) -> str:
    session.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": name})
    return name


async def names(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(text("SELECT name FROM t ORDER BY name")))


async def test_a_write_is_visible_at_once_and_returns_only_once_flushed(db: Database, disk: Disk) -> None:
    function = asyncio.create_task(db.run_write(insert, "a"))
    await disk.flush_started()
    assert await names(db) == ["a"]  # committed and visible to readers
    assert not function.done()  # but not yet acknowledged: the flush runs

    async def block() -> None:
        async with db.write() as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('b')"))

    blocked = asyncio.create_task(block())
    await committed(lambda: names(db), 2)  # the writer's turn is not held during the flush: "b" commits
    assert await names(db) == ["a", "b"]
    disk.release.release()
    assert await function == "a"
    await disk.flush_started()  # "b" committed after flush 1 began: it needs flush 2
    assert not blocked.done()
    disk.release.release()
    await blocked


async def test_each_sqlite_connection_commits_without_its_own_flush(db: Database) -> None:
    async with db.read() as session:
        assert await session.scalar(text("PRAGMA synchronous")) == 1  # NORMAL: the flusher makes it FULL


async def test_synchronous_normal_never_waits_for_a_flush(tmp_path: Path, disk: Disk) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", sqlite_synchronous="NORMAL")
    async with database.write() as session:
        await session.execute(text("CREATE TABLE t (name TEXT)"))
    await database.run_write(insert, "a")
    assert disk.flushes == 0
    await database.dispose()


# -- customer messages --------------------------------------------------------------------------------------


@pytest.fixture
async def core(tmp_path: Path, disk: Disk) -> AsyncIterator[tuple[Core, str]]:
    """A started core (FULL, the default) with one conversation; its flushes held from then on."""
    disk.hold = False
    core = Core.create(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}"))
    await core.start()
    await core.services.add(slug="shop", name="Shop")
    conversation = (await core.conversations.start(service_slug="shop", text="Hi")).conversation.id
    assert disk.flushes >= 3  # the start's writes, the service, the conversation: each waited for a flush
    disk.hold = True
    yield core, conversation
    disk.hold, disk.error = False, None
    disk.release.release()
    await core.stop()


async def test_consoles_see_a_message_before_the_flush_and_its_sender_after(
    core: tuple[Core, str], disk: Disk
) -> None:
    server, conversation = core
    seen: list[str] = []
    server.bus.subscribe(MessageAdded, lambda event: seen.append(event.message.text))
    sent = asyncio.create_task(
        server.conversations.add_customer_message(conversation_id=conversation, text="Hello?")
    )
    await disk.flush_started()
    await settle()
    assert seen == ["Hello?"]  # the consoles were told while the disk still flushes
    assert not sent.done()  # the sender is not answered before it is on disk
    disk.release.release()
    assert (await sent).created


async def test_events_go_out_in_the_order_of_the_commits(core: tuple[Core, str], disk: Disk) -> None:
    """A write committed earlier publishes after its flush; a customer message committed after it waits, so
    the consoles never end on the earlier (older) snapshot of the card."""
    server, conversation = core
    cards: list[ConversationUpdated] = []
    server.bus.subscribe(ConversationUpdated, cards.append)
    asked = asyncio.create_task(server.conversations.request_human(conversation_id=conversation))
    await disk.flush_started()  # the request is committed; its flush runs
    sent = asyncio.create_task(
        server.conversations.add_customer_message(conversation_id=conversation, text="Hello?")
    )
    await committed(lambda: server.conversations.messages(conversation), 2)
    await settle()
    assert cards == []  # the message does not overtake the request committed before it
    disk.release.release()
    await asyncio.wait_for(asyncio.shield(asked), 30)
    await disk.flush_started()  # the flush the message waited for, before its events went out
    disk.release.release()
    await disk.flush_started()  # the one its sender's answer waits for (one more, in this rare case)
    disk.release.release()
    await sent
    assert [(c.after.message_count, c.after.needs_attention) for c in cards] == [(1, True), (2, True)]


async def test_a_failed_flush_is_never_an_acknowledgement(core: tuple[Core, str], disk: Disk) -> None:
    server, conversation = core
    disk.error = OSError(5, "Input/output error")
    disk.release.release()
    with pytest.raises(OSError):
        await server.conversations.add_customer_message(conversation_id=conversation, text="Hello?")


# -- group commit -------------------------------------------------------------------------------------------


async def test_the_next_batch_is_written_while_the_last_one_waits_for_its_acknowledgement() -> None:
    flushed = asyncio.Event()
    written: list[int] = []

    async def write(batch: list[Pending[int, int]]) -> asyncio.Future[None] | None:
        written.extend(pending.item for pending in batch)

        async def acknowledge() -> None:
            await flushed.wait()
            for pending in batch:
                pending.resolve(pending.item * 10)

        return asyncio.ensure_future(acknowledge())

    group: GroupCommit[int, int] = GroupCommit(write)
    first = asyncio.create_task(group.submit(1))
    await settle()
    second = asyncio.create_task(group.submit(2))
    await settle()
    assert written == [1, 2] and group.batches_written == 2
    assert not first.done() and not second.done()
    flushed.set()
    assert await asyncio.gather(first, second) == [10, 20]


async def test_an_acknowledgement_that_fails_gives_its_error_to_each_caller_of_its_batch() -> None:
    async def write(batch: list[Pending[int, int]]) -> asyncio.Future[None]:
        async def acknowledge() -> None:
            raise OSError(5, "Input/output error")

        return asyncio.ensure_future(acknowledge())

    group: GroupCommit[int, int] = GroupCommit(write)
    results = await asyncio.gather(group.submit(1), group.submit(2), return_exceptions=True)
    assert all(isinstance(result, OSError) for result in results)
