"""A token bucket per key (a customer's address): `per_minute` on average, bursts up to `burst`."""

from __future__ import annotations

import time
from collections import OrderedDict

MAX_KEYS = 100_000


class RateLimiter:
    def __init__(self, *, per_minute: int, burst: int | None = None) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst if burst is not None else max(per_minute // 2, 5))
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
