"""Database.run_write: a write transaction written as one plain function of a Session. On SQLite it runs whole
on the writer thread; on PostgreSQL through the async session. Either way: committed when the function
returns, rolled back when it raises, and serialised with the async writers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.settings import Settings
from models.database import Database

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings.database_url)
    async with database.write() as session:
        await session.execute(text("CREATE TABLE t (name TEXT PRIMARY KEY)"))
    yield database
    await database.dispose()


def insert(session: Session, *names: str) -> list[str]:
    for name in names:
        session.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": name})
    return list(session.scalars(text("SELECT name FROM t ORDER BY name")))


async def stored(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(text("SELECT name FROM t ORDER BY name")))


@BOTH
async def test_the_function_is_committed_and_its_result_returned(db: Database) -> None:
    assert await db.run_write(insert, "a", "b") == ["a", "b"]
    assert await stored(db) == ["a", "b"]


@BOTH
async def test_an_error_rolls_the_whole_function_back_and_the_next_one_goes_on(db: Database) -> None:
    await db.run_write(insert, "a")
    with pytest.raises(IntegrityError):
        await db.run_write(insert, "b", "a")  # "b" is written, then "a" breaks the unique constraint
    assert await stored(db) == ["a"]
    assert await db.run_write(insert, "c") == ["a", "c"]


async def test_on_sqlite_the_function_runs_whole_on_the_writer_thread(db: Database) -> None:
    seen: list[str] = []

    def where(session: Session) -> None:
        seen.append(threading.current_thread().name)
        insert(session, "a")
        seen.append(threading.current_thread().name)

    await db.run_write(where)
    assert seen[0] == seen[1] and seen[0].startswith("sqlite-writer")
    assert seen[0] != threading.current_thread().name


@BOTH
async def test_functions_and_async_writers_running_together_all_commit(db: Database) -> None:
    async def block(name: str) -> None:
        async with db.write() as session:
            await session.execute(text("INSERT INTO t (name) VALUES (:name)"), {"name": name})

    names = [f"n{i}" for i in range(20)]
    await asyncio.gather(*(db.run_write(insert, n) if i % 2 else block(n) for i, n in enumerate(names)))
    assert await stored(db) == sorted(names)


async def test_after_dispose_the_next_function_runs_as_before(db: Database) -> None:
    await db.run_write(insert, "a")
    await db.dispose()
    assert await db.run_write(insert, "b") == ["a", "b"]


async def test_a_cancelled_caller_keeps_the_writers_turn_until_its_transaction_ends(db: Database) -> None:
    started, release, ended = threading.Event(), threading.Event(), threading.Event()

    def slow(session: Session) -> None:
        insert(session, "slow")
        started.set()
        release.wait(30)
        ended.set()

    task = asyncio.create_task(db.run_write(slow))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 30)
    task.cancel()
    _, pending = await asyncio.wait([task], timeout=0.5)  # it may not give up the turn while the thread works
    assert pending == {task}
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ended.is_set()  # the turn came back only once the transaction had ended
    assert await stored(db) == ["slow"]  # which committed: the thread went on
