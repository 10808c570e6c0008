"""AI responders: one small interface, three implementations, and the worker that calls them."""

from handoff.responders.base import Reply, ReplyRequest, Responder

__all__ = ["Reply", "ReplyRequest", "Responder"]
