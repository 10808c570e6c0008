"""Request body limits for the API: anything larger than the limit is refused with 413 before parsing, and a
body that does not arrive within the time limit (a client trickling bytes to hold a connection) with 408."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    """Reads an API request's body up to `max_bytes`, then hands it on; 413 past the limit."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, timeout_seconds: float = 30.0, prefix: str = "/api/"
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _refuse(send, 400, "invalid Content-Length")
                return
            if int(declared) > self.max_bytes:
                await _refuse(send, 413, f"request body larger than {self.max_bytes} bytes")
                return
        body = bytearray()
        more = True
        try:
            async with asyncio.timeout(self.timeout_seconds):
                while more:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body += message.get("body", b"")
                    if len(body) > self.max_bytes:
                        await _refuse(send, 413, f"request body larger than {self.max_bytes} bytes")
                        return
                    more = message.get("more_body", False)
        except TimeoutError:
            await _refuse(send, 408, f"request body not received within {self.timeout_seconds:g} seconds")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # later calls wait for the client's disconnect (event streams)

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
