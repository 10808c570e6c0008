"""The SQLite driver under SQLAlchemy: one trip to the database thread per statement, and otherwise what the
aiosqlite dialect gives (rows, counts, ids, errors, transactions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from models.database import Database
from models.sqlite_driver import OneTripConnection


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.write() as session:
        await session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)"))
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function sent to a connection's thread, in order."""
    sent: list[str] = []
    original = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: object, *args: object, **kwargs: object) -> object:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    return sent


async def test_each_statement_is_one_trip(db: Database, trips: list[str]) -> None:
    async with db.write() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('a'), ('b')"))
        rows = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert rows == ["a", "b"]
    # BEGIN IMMEDIATE, INSERT, SELECT: one trip each (aiosqlite's own cursors took 3-4); then the commit
    assert trips == ["_run", "_run", "_run", "commit"]


async def test_rows_counts_and_ids_come_back(db: Database) -> None:
    async with db.write() as session:
        inserted = await session.execute(text("INSERT INTO t (name) VALUES ('x')"))
        assert inserted.lastrowid == 1
        insert = text("INSERT INTO t (name) VALUES (:name)")
        many = await session.execute(insert, [{"name": "y"}, {"name": "z"}])
        assert many.rowcount == 2
        updated = await session.execute(text("UPDATE t SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
    async with db.read() as session:
        result = await session.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert list(result.keys()) == ["id", "name"]
        assert result.fetchone() == (1, "x")
        assert result.fetchmany(1) == [(2, "y!")]
        assert result.fetchall() == [(3, "z!")]
        assert (await session.execute(text("SELECT name FROM t WHERE id = 99"))).first() is None


async def test_an_error_rolls_back_and_the_connection_goes_on(db: Database) -> None:
    async with db.write() as session:
        await session.execute(text("INSERT INTO t (name) VALUES ('taken')"))
    with pytest.raises(IntegrityError):
        async with db.write() as session:
            await session.execute(text("INSERT INTO t (name) VALUES ('kept?')"))
            await session.execute(text("INSERT INTO t (name) VALUES ('taken')"))
    async with db.read() as session:
        names = (await session.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["taken"]  # the failed transaction left nothing behind
