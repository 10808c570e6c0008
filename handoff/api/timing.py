"""Every HTTP request's duration, by method, route and status class, into the metrics' histogram.

The route is the matched route's template (`/api/v1/conversations/{conversation_id}`), never the path itself,
so the figures stay few whatever the URLs; a request no route matched counts as "unmatched". WebSockets and
the event streams' long lives are left out of it: a stream is timed until its response starts."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Histogram
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestTimer:
    def __init__(self, app: ASGIApp, *, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not status:
                status.append(message["status"])
                self._observe(scope, status[0], time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            if not status:  # it failed before answering
                self._observe(scope, 500, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route: Any = scope.get("route")
        if isinstance(route, Mount):
            name = route.path + "/..."
        else:
            name = getattr(route, "path", None) or "unmatched"
        self.histogram.labels(scope["method"], name, f"{status // 100}xx").observe(seconds)
