"""The one interface every detector implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["user", "ai"]


@dataclass(frozen=True, slots=True)
class MessageContext:
    """A message to inspect, with the conversation's recent messages of the same role (oldest first)."""

    role: Role
    text: str
    previous: tuple[str, ...] = field(default_factory=tuple)
    service: str = ""
    negative_threshold: float | None = None  # the service's own Negative Feedback threshold, if it has one
    phrases: tuple[str, ...] = ()  # the service's own Help Requested triggers, beside the built-in ones


@dataclass(frozen=True, slots=True)
class Finding:
    """Why a conversation needs a human: the flag's kind, a reason a person can read, and a score if any."""

    kind: str
    reason: str
    score: float | None = None
    rule: str = ""  # which rule or signals made the detector fire (`python -m detection.evaluate --explain`)


class Detector(Protocol):
    kind: str
    roles: frozenset[Role]

    def detect(self, message: MessageContext) -> Finding | None:
        """A finding when the message should raise this detector's flag, else None."""
        ...
