"""The bus between processes: every event published here goes to every process on one Redis stream.

Why a stream (XADD / XREAD) and not pub/sub: pub/sub forgets what is sent while a process is disconnected,
so every blip would cost a resync and the customers' event streams would miss messages; a stream lets a
process resume reading from the last entry it read. It is trimmed to about MAX_LEN entries, so a process away
for longer than that still loses some: whenever its link breaks, a process reads its state (cards, counters,
services) again from the database after it is back, and says so in its log (`EventsMissed`).

Publishing never waits on Redis: the event is delivered in this process at once and its frame queued for a
sender task, which writes frames in order in batches. While Redis is away the queue keeps up to BUFFER frames;
past that the oldest are dropped and, once Redis is back, a `ResyncRequested` tells the other processes to
read the database again. A frame names its origin; a process skips its own when reading them back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from itertools import islice
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from handoff.bus import E, Handler, InProcessBus, Subscription
from handoff.events import Event, EventsMissed, ResyncRequested
from handoff.wire import BadFrame, WireFormat

log = logging.getLogger(__name__)

STREAM = "handoff:events"  # the default; a server's is its HANDOFF_REDIS_KEY_PREFIX + "events"
MAX_LEN = 100_000  # entries kept in the stream (about; trimmed as it grows)
BUFFER = 50_000  # frames kept for Redis while it is away
BATCH = 500  # frames per write, and entries per read
BLOCK_MS = 2_000  # one read waits this long for new entries
RETRY_SECONDS = (0.2, 5.0)  # the first and the longest pause between tries to reach Redis again


class RedisBus:
    def __init__(
        self,
        url: str,
        *,
        stream: str = STREAM,
        origin: str | None = None,
        max_len: int = MAX_LEN,
        buffer: int = BUFFER,
    ) -> None:
        self._local = InProcessBus(origin=origin)
        self._url = url
        self._stream = stream
        self._max_len = max_len
        self._buffer = buffer
        self._wire = WireFormat()
        self._queue: deque[dict[str, bytes]] = deque()
        self._dropped = 0  # frames dropped from the queue since Redis was last written to
        self._wake: asyncio.Event | None = None
        self._back: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None  # set while the queue is empty
        self._redis: redis.Redis | None = None
        self._last_id: str | None = None  # the last entry read (None: not known yet)
        self._reading = False  # the reader's link is up
        self._writing = True  # the sender's link is up (as far as it knows)
        self._tasks: list[asyncio.Task[None]] = []
        self.sent = 0
        self.received = 0
        self.bad_frames = 0
        self.resyncs = 0

    # -- the EventBus interface ----------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return self._local.origin

    @property
    def shared(self) -> bool:
        return True

    @property
    def connected(self) -> bool:
        """Whether both links to Redis are up now."""
        return self._reading and self._writing

    def subscribe(
        self, event_type: type[E], handler: Handler[E], *, local_only: bool = False
    ) -> Subscription:
        return self._local.subscribe(event_type, handler, local_only=local_only)

    def subscription_count(self) -> int:
        return self._local.subscription_count()

    async def drain(self) -> None:
        await self._local.drain()

    async def publish(self, event: Event) -> None:
        self._local.deliver(event, local=True)
        if self._wire.carries(event):
            self._enqueue(self._wire.encode(event, self.origin))

    def queued(self) -> int:
        """Frames waiting to be written to Redis."""
        return len(self._queue)

    async def sent_all(self) -> None:
        """Return once every event published so far is written to Redis (or dropped)."""
        assert self._idle is not None, "not started"
        await self._idle.wait()

    # -- start and stop --------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._back = asyncio.Event()  # the reader found Redis again: the sender tries now, not later
        self._redis = redis.from_url(  # no retries inside the client: the loops below pace them, and log them
            self._url,
            socket_connect_timeout=2,
            socket_timeout=BLOCK_MS / 1000 + 5,
            health_check_interval=10,
            retry=Retry(NoBackoff(), 0),
        )
        try:
            self._last_id = await self._newest_id()
            self._reading = True
            log.info("events between processes: Redis stream %s; this process: %s", self._stream, self.origin)
        except (RedisError, OSError) as error:
            log.warning(
                "Redis is unreachable (%s): this process serves its own pages and hears the others' once it "
                "is back",
                error,
            )
        self._tasks = [
            asyncio.create_task(self._read_forever(), name="redis-bus-reader"),
            asyncio.create_task(self._send_forever(), name="redis-bus-sender"),
        ]

    async def stop(self) -> None:
        if self._idle is not None and self._writing:  # the last events of a process that stops: a moment
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._idle.wait()
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # a task stuck in the client must not hold up a process that stops
            _done, stuck = await asyncio.wait(self._tasks, timeout=5)
            if stuck:
                log.warning("stopping: %d Redis tasks did not end when cancelled", len(stuck))
        self._tasks = []
        if self._redis is not None:
            if self._queue:
                log.warning("stopping with %d events not written to Redis", len(self._queue))
            with contextlib.suppress(RedisError, OSError, TimeoutError):
                async with asyncio.timeout(5):
                    await self._redis.aclose()
            self._redis = None

    # -- sending ---------------------------------------------------------------------------------------------

    def _enqueue(self, frame: dict[str, bytes]) -> None:
        if len(self._queue) >= self._buffer:
            self._queue.popleft()
            self._dropped += 1
        self._queue.append(frame)
        if self._wake is not None and self._idle is not None:
            self._idle.clear()
            self._wake.set()

    async def _send_forever(self) -> None:
        assert self._wake is not None and self._idle is not None
        pause = RETRY_SECONDS[0]
        while True:
            if not self._queue:
                self._idle.set()
            await self._wake.wait()
            self._wake.clear()
            while self._queue or self._dropped:
                batch = list(islice(self._queue, BATCH))
                if self._dropped:
                    note = f"{self._dropped} events of {self.origin} were dropped while Redis was away"
                    batch.insert(0, self._wire.encode(ResyncRequested(note), self.origin))
                try:
                    await self._write(batch)
                except (RedisError, OSError) as error:
                    if self._writing:
                        self._writing = False
                        log.warning("can't write events to Redis (%s): keeping up to %d", error, self._buffer)
                    assert self._back is not None
                    self._back.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(pause):
                            await self._back.wait()
                    pause = min(pause * 2, RETRY_SECONDS[1])
                    continue
                if not self._writing:
                    self._writing = True
                    log.info("writing events to Redis again (%d were waiting)", len(self._queue))
                pause = RETRY_SECONDS[0]
                sent = len(batch) - (1 if self._dropped else 0)
                self._dropped = 0
                for _ in range(sent):
                    self._queue.popleft()
                self.sent += sent

    async def _write(self, frames: list[dict[str, bytes]]) -> None:
        assert self._redis is not None
        async with self._redis.pipeline(transaction=True) as pipe:  # all of a batch or none of it
            for frame in frames:
                pipe.xadd(self._stream, frame, maxlen=self._max_len, approximate=True)  # type: ignore[arg-type]
            await pipe.execute()

    # -- reading ---------------------------------------------------------------------------------------------

    async def _newest_id(self) -> str:
        assert self._redis is not None
        newest: Any = await self._redis.xrevrange(self._stream, count=1)
        return _text(newest[0][0]) if newest else "0-0"

    async def _read_forever(self) -> None:
        assert self._redis is not None
        pause = RETRY_SECONDS[0]
        while True:
            try:
                if not self._reading:
                    await self._reconnect()
                assert self._last_id is not None
                answer: Any = await self._redis.xread(
                    {self._stream: self._last_id}, count=BATCH, block=BLOCK_MS
                )
            except (RedisError, OSError) as error:
                if self._reading:
                    self._reading = False
                    log.warning(
                        "lost the link to Redis (%s): serving this process's own pages; resyncing once it is "
                        "back",
                        error,
                    )
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_SECONDS[1])
                continue
            pause = RETRY_SECONDS[0]
            for _stream, entries in answer or ():
                for entry_id, fields in entries:
                    self._last_id = _text(entry_id)
                    self._receive(fields)

    async def _reconnect(self) -> None:
        """Redis answers again: read on from the last entry read (the newest, if none was), and resync."""
        if self._last_id is None:
            self._last_id = await self._newest_id()
        else:
            await self._redis.ping()  # type: ignore[union-attr]
        self._reading = True
        if self._back is not None:
            self._back.set()
        self._resync("the link to Redis was down; it is back")

    def _receive(self, fields: dict[bytes, bytes]) -> None:
        if self._wire.origin_of(fields) == self.origin:
            return  # this process's own, delivered here when it was published
        try:
            frame = self._wire.decode(fields)
        except BadFrame as error:
            self.bad_frames += 1
            self._resync(f"an event from Redis could not be read ({error})")
            return
        self.received += 1
        if isinstance(frame.event, ResyncRequested):
            self._resync(f"{frame.origin} asked: {frame.event.reason}")
            return
        self._local.deliver(frame.event, local=False)

    def _resync(self, reason: str) -> None:
        self.resyncs += 1
        log.warning("may have missed events from other processes (%s): resyncing from the database", reason)
        self._local.deliver(EventsMissed(reason), local=True)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
