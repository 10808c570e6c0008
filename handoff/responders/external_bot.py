"""An external bot: each customer message is POSTed (signed) to the bot's URL; the bot answers later
through the `ai-messages` route. When the bot cannot be reached after the retries, the customer is told
and the conversation is flagged Non-Answer instead of being left hanging."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time

import httpx

from handoff.responders.base import UNAVAILABLE, Reply, ReplyRequest

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Handoff-Signature"
TIMESTAMP_HEADER = "X-Handoff-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over "<timestamp>.<body>" (the bot recomputes it to trust the call)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class ExternalBotResponder:
    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        attempts: int = 4,
        backoff_seconds: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._attempts = attempts
        self._backoff = backoff_seconds

    async def reply(self, request: ReplyRequest) -> Reply | None:
        url, secret = request.service.bot_url, request.service.bot_secret or ""
        if not url:
            return None
        conversation = request.conversation
        last = request.history[-1] if request.history else None
        body = json.dumps(
            {
                "event": "customer_message",
                "service": request.service.slug,
                "conversation_id": conversation.id,
                "message": last.to_api() if last else None,
                "reply_path": f"/api/v1/conversations/{conversation.id}/ai-messages",
            }
        ).encode()
        for attempt in range(1, self._attempts + 1):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            }
            try:
                response = await self._client.post(url, content=body, headers=headers)
                if response.is_success:
                    return None  # the bot answers through the API
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as error:
                reason = type(error).__name__
            log.warning("bot %s failed (attempt %d of %d): %s", url, attempt, self._attempts, reason)
            if attempt < self._attempts:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        return Reply(UNAVAILABLE, answered=False)
