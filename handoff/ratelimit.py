"""A token bucket per key (a customer's address): `per_minute` on average, bursts up to `burst`.

`RateLimiter` keeps the buckets in this process; `RedisRateLimiter` keeps them in Redis, so the limit holds
for a customer however many processes their messages reach (a balancer may send each to another). While Redis
can't be reached, it falls back to a bucket of this process's: a limit per process, never no limit.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MAX_KEYS = 100_000


class Limiter(Protocol):
    async def take(self, key: str) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        ...


class RateLimiter:
    def __init__(self, *, per_minute: int, burst: int | None = None) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst if burst is not None else default_burst(per_minute))
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token for `key`; False when its bucket is empty."""
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return allowed

    async def take(self, key: str) -> bool:
        return self.allow(key)


def default_burst(per_minute: int) -> int:
    return max(per_minute // 2, 5)


# The same bucket in Redis, on Redis's clock (one clock for every process): tokens and when they were counted.
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return allowed
"""


class RedisRateLimiter:
    def __init__(self, url: str, *, per_minute: int, burst: int | None = None, prefix: str) -> None:
        self._redis = redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        self._script = self._redis.register_script(_TAKE)
        self._rate = per_minute / 60.0
        self._burst = burst if burst is not None else default_burst(per_minute)
        self._prefix = prefix
        self._fallback = RateLimiter(per_minute=per_minute, burst=self._burst)
        self._falling_back = False

    async def take(self, key: str) -> bool:
        try:
            allowed = await self._script(keys=[self._prefix + key], args=[self._rate, self._burst])
        except (RedisError, OSError) as error:
            if not self._falling_back:
                self._falling_back = True
                log.warning("rate limits: no Redis (%s); limiting in this process until it is back", error)
            return self._fallback.allow(key)
        if self._falling_back:
            self._falling_back = False
            log.info("rate limits: kept in Redis again")
        return bool(allowed)

    async def close(self) -> None:
        await self._redis.aclose()
