"""The preview beside a service's Negative Feedback threshold: how many of its recent customer messages the
real detector would have raised the flag on at a threshold ("at -0.3, 14 of the last 500").

The messages are read once per page (`recent`), then counted for each threshold the admin tries (`count`,
CPU only: run it in a thread). Each message is judged with the customer's earlier messages of the same
conversation among those read, as the server judges it with the ones before it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from detection import Detector
from detection.base import MessageContext
from detection.negative_feedback import DEFAULT_THRESHOLD
from handoff.accounts import acting_admin
from handoff.records import DETECTOR_HISTORY
from handoff.views import AgentRef
from models import Conversation, Database, Message, Service

RECENT = 500


@dataclass(frozen=True, slots=True)
class Preview:
    threshold: float
    raised: int
    of: int


class ThresholdPreview:
    def __init__(self, *, db: Database, detectors: Sequence[Detector]) -> None:
        self._db = db
        self._detector = next((d for d in detectors if d.kind == "negative_feedback"), None)

    @property
    def default_threshold(self) -> float:
        """The threshold of a service without its own."""
        return float(getattr(self._detector, "default_threshold", DEFAULT_THRESHOLD))

    async def recent(
        self, *, slug: str, agent: AgentRef | None, last: int = RECENT
    ) -> tuple[MessageContext, ...]:
        """The service's last `last` customer messages, oldest first, each with the ones before it."""
        async with self._db.read() as session:
            await acting_admin(session, agent)
            rows = (
                await session.execute(
                    select(Message.conversation_id, Message.text)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .join(Service, Service.id == Conversation.service_id)
                    .where(Service.slug == slug, Message.role == "user")
                    .order_by(Message.id.desc())
                    .limit(last)
                )
            ).all()
        earlier: dict[str, list[str]] = defaultdict(list)
        contexts = []
        for conversation_id, text in reversed(rows):
            before = earlier[conversation_id]
            contexts.append(
                MessageContext(
                    role="user", text=text, previous=tuple(before[-DETECTOR_HISTORY:]), service=slug
                )
            )
            before.append(text)
        return tuple(contexts)

    async def count(self, messages: tuple[MessageContext, ...], threshold: float | None) -> Preview:
        """How many of `messages` would raise Negative Feedback at `threshold` (None: the default)."""
        detector = self._detector
        if detector is None:
            return Preview(self.default_threshold if threshold is None else threshold, 0, len(messages))

        def raised() -> int:
            return sum(
                detector.detect(replace(message, negative_threshold=threshold)) is not None
                for message in messages
            )

        shown = (
            threshold if threshold is not None else getattr(detector, "default_threshold", DEFAULT_THRESHOLD)
        )
        return Preview(float(shown), await asyncio.to_thread(raised), len(messages))
