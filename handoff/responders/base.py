"""The interface every responder implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handoff.views import ConversationView, MessageView

DONT_KNOW = (
    "I'm sorry, I don't have information about that. A member of our team can help: "
    'press "Talk to a human" if you would like a person to take over.'
)
UNAVAILABLE = "I'm sorry, I can't answer right now. A member of our team has been asked to help."


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """How a service's AI answers."""

    slug: str
    name: str
    knowledge_dir: str | None = None
    bot_url: str | None = None
    bot_secret: str | None = None
    answered_by: str = "knowledge"  # "knowledge", "bot" or "model"


@dataclass(frozen=True, slots=True)
class ReplyRequest:
    service: ServiceConfig
    conversation: ConversationView
    history: tuple[MessageView, ...]

    @property
    def question(self) -> str:
        """The customer's latest message."""
        return next((m.text for m in reversed(self.history) if m.role == "user"), "")


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    answered: bool = True
    agent: str | None = None


class Responder(Protocol):
    async def reply(self, request: ReplyRequest) -> Reply | None:
        """The AI's reply, or None when it will arrive later by itself (an external bot posts it)."""
        ...
