"""SQLite for SQLAlchemy's aiosqlite dialect, one trip to the database thread per statement.

aiosqlite runs each call on its connection's thread and hands the result back to the event loop. Through
SQLAlchemy, a statement takes four such trips (open a cursor, execute, fetch the rows, close the cursor), and
each trip is a thread switch and a turn of the event loop: a customer message's write (BEGIN, one SELECT, an
UPDATE, an INSERT, COMMIT) took 14 trips. Here a statement is opened, executed, read to the end and closed on
the database thread in one trip; the rows wait in the cursor. SQLite reads a local file, so reading all rows
at once is what the dialect did anyway (it fetches them all after execute).

Plugged in through the dialect's `async_creator_fn` connect argument. Uses aiosqlite's `Connection._execute`
(run a function on the connection's thread), the same call its own cursors use; aiosqlite is pinned.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiosqlite

Description = tuple[tuple[Any, ...], ...] | None


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool
) -> tuple[Description, list[Any], int, int | None]:
    """On the database thread: the whole life of one cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses; each execute is one trip, fetches take none."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = ()) -> OneTripCursor:
        return await self._trip(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Sequence[Any]) -> OneTripCursor:
        return await self._trip(sql, parameters, many=True)

    async def _trip(self, sql: str, parameters: Any, *, many: bool) -> OneTripCursor:
        connection = self._connection
        result = await connection._execute(_run, connection._conn, sql, parameters, many)  # type: ignore[no-untyped-call]
        self.description, rows, self.rowcount, self.lastrowid = result
        self._rows = deque(rows)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors are OneTripCursors (a cursor costs no trip to open)."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)


def connect(database: str, **kwargs: Any) -> OneTripConnection:
    """What `aiosqlite.connect` does, with OneTripConnection; SQLAlchemy awaits it to open the database."""
    iter_chunk_size = kwargs.pop("iter_chunk_size", 64)
    connection = OneTripConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size)
    connection._thread.daemon = True  # as the dialect does for aiosqlite's own connections
    return connection
