"""Durable SQLite commits, flushed to disk after they are visible, one flush for all commits made meanwhile.

With `synchronous=FULL` in WAL mode, SQLite flushes the WAL file (fdatasync) inside every COMMIT, while it
holds the write lock: the next writer waits for the disk, and every reader waits for the commit to show. On
this project's disk a flush usually takes 0.5 ms, but at times 100-800 ms (measured in issue 6), and each
such flush held up every console page's update and every message behind it.

Here the connections commit with `synchronous=NORMAL` (the commit is written to the WAL and visible at once;
SQLite's checkpoints still sync as before) and `Flusher.flushed()` makes it durable: one fdatasync of the WAL
file, on a thread of its own, which covers everything written to the file before it began. Callers who ask
while a flush is running share the next one (group flush). Whoever acknowledges a write awaits `flushed()`
first, so nothing is ever acknowledged before it is on disk; what changes is that others may see a commit a
few milliseconds before it is durable. A power cut in that window loses it as it would have lost an
unacknowledged write; the WAL is written in order, so anything durable implies everything before it is too.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class WalFile:
    """fdatasync of a database's WAL file; its folder too whenever the file is new (so is its name).

    The file stays open between flushes: while it is open its inode cannot be reused, so a WAL file removed
    and made again is always seen as new."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + "-wal")
        self._fd: int | None = None

    def sync(self) -> None:
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:  # the last connection closed: SQLite checkpointed (synced) and removed it
            self.close()
            return
        if self._fd is None or os.fstat(self._fd).st_ino != inode:
            self.close()
            self._fd = os.open(self.path, os.O_RDONLY)
            os.fdatasync(self._fd)
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        else:
            os.fdatasync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


class Flusher:
    """`await flushed()` returns once everything committed before the call is on disk.

    One flush runs at a time. A caller arriving while none runs starts one; callers arriving while one runs
    wait for the next, which starts when it ends and serves them all. A failed flush raises in every caller
    it served; the next caller starts a fresh one.
    """

    def __init__(self, sync: Callable[[], None]) -> None:
        self._sync = sync
        self._next: asyncio.Future[None] | None = None  # the flush the next callers wait for
        self._runner: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self.flushes = 0  # for benchmarks and tests: how many flushes ran

    async def flushed(self) -> None:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieve)
            if self._runner is None:
                self._runner = asyncio.create_task(self._run())
        await asyncio.shield(self._next)  # one caller cancelled does not cancel the flush for the others

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._next is not None:
                serving, self._next = self._next, None
                if self._thread is None:
                    self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-flush")
                try:
                    await loop.run_in_executor(self._thread, self._sync)
                except asyncio.CancelledError:
                    serving.cancel()
                    raise
                except Exception as error:
                    serving.set_exception(error)
                else:
                    serving.set_result(None)
                self.flushes += 1
        finally:
            self._runner = None
            if self._next is not None:  # cancelled (shutdown) with callers waiting for the next flush
                self._next.cancel()
                self._next = None

    async def close(self) -> None:
        """Let the running flush (and the one its waiters asked for) end, then stop the thread."""
        if self._runner is not None:
            await asyncio.wait([self._runner])
        if self._thread is not None:
            thread, self._thread = self._thread, None
            thread.shutdown(wait=False)


def _retrieve(future: asyncio.Future[None]) -> None:
    """A flush whose callers all went away still had its error looked at (no 'never retrieved' warning)."""
    if not future.cancelled():
        future.exception()
