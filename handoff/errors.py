"""What a transition says when it refuses. The API maps each kind to one HTTP status."""

from __future__ import annotations


class HandoffError(Exception):
    """Base of the core's refusals; `str(error)` is a message fit for the user. `field` names the input at
    fault, if one is, so a form can show the message beside it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(HandoffError):
    """No such service, conversation or message."""


class Unauthorized(HandoffError):
    """Missing or wrong token, key or password."""


class Forbidden(HandoffError):
    """The account may not do this (e.g. an agent changing a mode)."""


class Invalid(HandoffError):
    """The input breaks a rule (e.g. rating a customer's message)."""


class Conflict(HandoffError):
    """The conversation's state does not allow this now."""


class ChangedElsewhere(Conflict):
    """What is being saved changed since it was read (another admin, or a hand edit on disk)."""


class AISilenced(Conflict):
    """The AI may not speak in this conversation now: the reply is dropped."""


class AlreadyClaimed(Conflict):
    """Another agent holds the conversation."""

    def __init__(self, holder_name: str) -> None:
        super().__init__(f"{holder_name} has already taken over this conversation")
        self.holder_name = holder_name
