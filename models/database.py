"""Engines, sessions and migrations.

SQLite (the embedded default) runs in WAL mode. Writes open with `BEGIN IMMEDIATE`, so a
read-check-write transaction (such as "may the AI speak?" followed by the insert) is never interleaved
with another writer. PostgreSQL gets row locks from the services (`SELECT ... FOR UPDATE`).

A write is either an async block (`write()`: each statement awaited on its own) or one plain function of a
Session (`run_write()`). On SQLite the function runs whole on a writer thread, with SQLite's own driver: the
event loop hands over the transaction once and gets its result once, where an async block goes to the
database thread and back for every statement (BEGIN, each SELECT, UPDATE and INSERT, COMMIT). The hot path,
customer messages, is written that way. On PostgreSQL the same function runs through the async session.

Durability: `write()` and `run_write()` return once the transaction is on disk. On SQLite with the default
`FULL`, the disk flush is made after the commit, shared by the commits made meanwhile (models/flush.py);
`run_visible_write()` returns as soon as its commit is visible, for callers that show the change first and
acknowledge it after `flushed()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from models import sqlite_driver
from models.flush import Flusher, WalFile

MIGRATIONS = Path(__file__).parent / "migrations"
STARTUP_LOCK = 0x68616E646F6666  # PostgreSQL advisory lock key: "handoff" in hex
P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """The application's database: a write path, a read path and the schema's migrations."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self._synchronous = sqlite_synchronous
        # FULL on a SQLite file: commits are made visible with NORMAL and made durable by the flusher.
        self._flusher: Flusher | None = None
        self._settling = 0  # writes committed and waiting for their flush before they return
        self._heads: frozenset[str] | None = None  # the newest revisions of the migration scripts
        self._wal: WalFile | None = None
        database = sqlite_file(url)
        if database is not None and sqlite_synchronous.upper() == "FULL":
            self._wal = WalFile(database.absolute())
            self._flusher = Flusher(self._wal.sync)
            self._synchronous = "NORMAL"
        self.write_engine = self._engine(immediate=True)
        self.read_engine = self._engine(immediate=False) if self.is_sqlite else self.write_engine
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)
        # SQLite: run_write's functions run on one thread of their own, with a plain (sync) engine.
        self._thread_engine: Engine | None = None
        self._thread: ThreadPoolExecutor | None = None
        if self.is_sqlite:
            self._thread_engine = create_engine(
                make_url(url).set(drivername="sqlite"),
                connect_args={"timeout": 30},
                pool_reset_on_return=None,
            )
            self._prepare_sqlite(self._thread_engine, immediate=True)
        # SQLite has one writer at a time; queueing writers here avoids its busy-wait sleeps.
        self._write_turn: AbstractAsyncContextManager[object] = (
            asyncio.Lock() if self.is_sqlite else contextlib.nullcontext()
        )

    def _engine(self, *, immediate: bool) -> AsyncEngine:
        if not self.is_sqlite:
            return create_async_engine(self.url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        # Every use ends its transaction (commit or rollback, through SQLAlchemy's own transaction handling),
        # so the pool's extra ROLLBACK when a connection is returned is switched off: it would only add a trip
        # to the driver's thread to every transaction (each statement is one trip: see sqlite_driver).
        engine = create_async_engine(
            self.url,
            connect_args={"timeout": 30, "async_creator_fn": sqlite_driver.connect},
            pool_reset_on_return=None,
        )
        self._prepare_sqlite(engine.sync_engine, immediate=immediate)
        return engine

    def _prepare_sqlite(self, engine: Engine, *, immediate: bool) -> None:
        """Every SQLite connection: WAL, the chosen sync level, foreign keys; transactions begun by us."""
        synchronous = self._synchronous

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends (and on disk when it is left), rolled back
        when it raises."""
        async with self._write_turn, self._writer() as session, session.begin():
            yield session
        await self._acknowledged()  # after the writer's turn: the next writer goes on while the disk flushes

    async def flushed(self) -> None:
        """Return once every transaction committed before this call is on disk."""
        if self._flusher is not None:
            await self._flusher.flushed()

    async def _acknowledged(self) -> None:
        """A committed write waits for its flush before it returns to its caller (who then publishes its
        events). Counted from the end of its writer's turn, with no await between: a visible write that
        commits later sees it (run_visible_write)."""
        self._settling += 1
        try:
            await self.flushed()
        finally:
            self._settling -= 1

    async def run_write(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(session, ...)` as one write transaction: committed and on disk when it returns, rolled back
        if it raises.

        `work` is plain code (no awaits) and must not touch the event loop's objects: on SQLite it runs on the
        writer thread. What it returns should be plain values (views), read before the commit.
        """
        result = await self._commit(work, *args, **kwargs)
        await self._acknowledged()
        return result

    async def run_visible_write(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`run_write`, returning as soon as the commit is visible to others, maybe before it is on disk:
        await `flushed()` before acknowledging anything it wrote.

        Events go out in the order of the commits: a write committed before this one and still waiting for
        its flush publishes its events when it returns, so this one then waits for the flush too, and its
        caller publishes after."""
        result = await self._commit(work, *args, **kwargs)
        if self._settling:
            await self.flushed()
        return result

    async def _commit(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        engine = self._thread_engine
        if engine is None:  # PostgreSQL: committed is durable
            async with self._write_turn, self._writer() as session, session.begin():
                return await session.run_sync(work, *args, **kwargs)

        def transaction() -> T:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                return work(session, *args, **kwargs)

        async with self._write_turn:
            if self._thread is None:  # started with the first write, stopped by dispose()
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
            running = asyncio.get_running_loop().run_in_executor(self._thread, transaction)
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:  # the thread goes on: keep the turn until its transaction ends
                await asyncio.wait([running])
                raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction."""
        async with self._reader() as session, session.begin():
            yield session

    @asynccontextmanager
    async def startup_lock(self) -> AsyncIterator[None]:
        """Held while a process prepares the database (migrations, the first admin, the sample services), so
        that several processes started together on one PostgreSQL database do it one after another: the first
        does it, the others find it done. SQLite is one process's: nothing to wait for."""
        if self.write_engine.dialect.name != "postgresql":
            yield
            return
        async with self.write_engine.connect() as connection:  # a session-level advisory lock
            await connection.exec_driver_sql(f"SELECT pg_advisory_lock({STARTUP_LOCK})")
            await connection.commit()
            try:
                yield
            finally:
                await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({STARTUP_LOCK})")
                await connection.commit()

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (run at every start)."""
        async with self.write_engine.begin() as connection:
            await connection.run_sync(_upgrade)
        await self.flushed()

    async def schema_is_current(self) -> bool:
        """Whether the database's schema is at the newest revision this code knows."""
        if self._heads is None:  # the migration scripts, read from disk once, off the event loop
            self._heads = await asyncio.to_thread(_heads)
        async with self.read_engine.connect() as connection:
            current = await connection.run_sync(_current_heads)
        return current == self._heads

    async def ping(self) -> None:
        """A round trip to the database; raises when it cannot be reached."""
        async with self.read_engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def dispose(self) -> None:
        if self._flusher is not None and self._wal is not None:
            await self._flusher.close()
            self._wal.close()
        if self._thread is not None and self._thread_engine is not None:
            thread, self._thread = self._thread, None
            await asyncio.get_running_loop().run_in_executor(thread, self._thread_engine.dispose)
            thread.shutdown(wait=False)
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def made_by_hand(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """What migration 0009 builds outside the models, for full-text search (the FTS5 table and its shadow
    tables on SQLite; the tsvector column and its index on PostgreSQL): autogenerate must leave it alone.
    Alembic's `include_object` answers the opposite: use `not made_by_hand(...)`."""
    name = name or ""
    return (
        (type_ == "table" and name.startswith("messages_fts"))
        or (type_ == "column" and name == "search" and reflected and compare_to is None)
        or (type_ == "index" and name == "ix_messages_search")
    )


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not made_by_hand(obj, name, type_, reflected, compare_to)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current_heads(connection: Connection) -> frozenset[str]:
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def sqlite_file(url: str) -> Path | None:
    """The SQLite database's file named by `url`; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def copy_sqlite(source: Path, target: Path) -> int:
    """A consistent copy of the SQLite database `source` at `target` with SQLite's online backup API (safe
    while a server writes to it: the copy is one moment's state, WAL included); the pages copied. Blocking:
    call it from a thread."""
    with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reading:
        reading.execute("PRAGMA quick_check")  # refuses what is not a SQLite database
        with contextlib.closing(sqlite3.connect(target)) as writing:
            reading.backup(writing)  # in one step: a copy taken in steps starts over at every write
            writing.execute("PRAGMA journal_mode=WAL")
            (pages,) = writing.execute("PRAGMA page_count").fetchone()
    return int(pages)
