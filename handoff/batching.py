"""Group commit: requests that arrive while a batch is being written go together in the next one.

One request alone is written at once (no added wait). Under load, the requests that queued behind a running
write share the next transaction: one BEGIN, one lock, one commit (one disk flush) for all of them, and each
statement covers the whole batch. Nobody's request is answered before the transaction holding it committed.

A writer may answer in two steps: write the batch (visible), then return an acknowledgement still to be
awaited (the disk flush, after which it answers). The next batch is written while that one is acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True)
class Pending(Generic[T, R]):
    """One request in a batch; the batch writer resolves `future` with its result or its error."""

    item: T
    future: asyncio.Future[R]

    def resolve(self, outcome: R | BaseException) -> None:
        if self.future.done():  # the caller went away
            return
        if isinstance(outcome, BaseException):
            self.future.set_exception(outcome)
        else:
            self.future.set_result(outcome)


BatchWriter = Callable[[list[Pending[T, R]]], Awaitable[Awaitable[None] | None]]


class GroupCommit(Generic[T, R]):
    """Feeds submitted items to `write` in batches of at most `max_batch`, one batch at a time.

    `write` must resolve every Pending it is given, itself or through the acknowledgement it returns (which
    runs while the next batch is written); an exception either raises is given to every Pending left
    unresolved.
    """

    def __init__(self, write: BatchWriter[T, R], *, max_batch: int = 64) -> None:
        self._write = write
        self._max_batch = max_batch
        self._queue: list[Pending[T, R]] = []
        self._runner: asyncio.Task[None] | None = None
        self._acknowledging: set[asyncio.Task[None]] = set()
        self.batches_written = 0  # for benchmarks and tests: how many transactions carried the items

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append(Pending(item, future))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        batch: list[Pending[T, R]] = []
        try:
            while self._queue:
                batch = [p for p in self._queue[: self._max_batch] if not p.future.done()]
                del self._queue[: self._max_batch]
                if not batch:
                    continue
                try:
                    acknowledgement = await self._write(batch)
                except Exception as error:
                    for pending in batch:
                        pending.resolve(error)
                else:
                    if acknowledgement is None:
                        _check_answered(batch)
                    else:
                        task = asyncio.create_task(_acknowledge(batch, acknowledgement))
                        self._acknowledging.add(task)
                        task.add_done_callback(self._acknowledging.discard)
                batch = []  # answered, or in its acknowledgement's hands
                self.batches_written += 1
        finally:
            self._runner = None
            for pending in batch + self._queue:  # cancelled (shutdown)
                pending.resolve(RuntimeError("the message was not stored: the writer stopped"))
            self._queue.clear()


async def _acknowledge(batch: list[Pending[T, R]], acknowledgement: Awaitable[None]) -> None:
    try:
        await acknowledgement
    except Exception as error:
        for pending in batch:
            pending.resolve(error)
    else:
        _check_answered(batch)
    finally:  # cancelled (shutdown)
        for pending in batch:
            pending.resolve(RuntimeError("the message was not acknowledged: the writer stopped"))


def _check_answered(batch: list[Pending[T, R]]) -> None:
    if any(not pending.future.done() for pending in batch):
        log.error("a batch writer left a request unanswered")
        for pending in batch:
            pending.resolve(RuntimeError("the message was not answered"))
