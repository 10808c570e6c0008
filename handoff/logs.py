"""The server's log: one line per event worth knowing, as text or (`HANDOFF_LOG_FORMAT=json`) as one JSON
object per line for log shippers.

`EventLog` writes the lines for what happens to conversations, services, accounts and webhooks, from the
bus's events: ids, kinds and names, never what a customer or an agent wrote.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from handoff.bus import EventBus, Subscription
from handoff.events import (
    AccountChanged,
    AIResumed,
    ConversationEnded,
    ConversationReleased,
    ConversationStarted,
    ConversationTakenOver,
    Event,
    FlagOpened,
    ServiceModeChanged,
    WebhooksChanged,
)

FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
log = logging.getLogger("handoff.events")


def configure(format: str = "text", level: str = "INFO") -> None:
    """Handoff's loggers to stderr, in `format`; called once by `main.py serve`, never on import."""
    if format not in FORMATS:
        raise ValueError(f"HANDOFF_LOG_FORMAT is one of {', '.join(FORMATS)}, not {format!r}")
    handler = logging.StreamHandler(sys.stderr)
    if format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    for name in ("handoff", "handoff_ui", "models"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


def _line(event: Event) -> tuple[str, dict[str, Any]] | None:
    match event:
        case ConversationStarted(conversation=c):
            return "conversation started", {"conversation": c.id, "service": c.service_slug}
        case FlagOpened(flag=f, conversation=c):
            return "flag raised", {"conversation": c.id, "service": c.service_slug, "kind": f.kind}
        case ConversationTakenOver(conversation=c, agent_id=agent):
            return "taken over", {"conversation": c.id, "service": c.service_slug, "agent": agent}
        case ConversationReleased(conversation=c, agent_id=agent):
            return "released", {"conversation": c.id, "service": c.service_slug, "agent": agent}
        case AIResumed(conversation=c, agent_id=agent):
            return "AI resumed", {"conversation": c.id, "service": c.service_slug, "agent": agent}
        case ConversationEnded(conversation=c):
            return "conversation ended", {"conversation": c.id, "service": c.service_slug}
        case ServiceModeChanged(service=s, previous_mode=previous, by_agent_id=agent):
            return "mode changed", {"service": s.slug, "mode": s.mode, "previous": previous, "agent": agent}
        case AccountChanged(account=a, by_agent_id=agent):
            return "account changed", {"account": a.id, "role": a.role, "active": a.active, "by": agent}
        case WebhooksChanged(webhook_id=webhook):
            return "webhooks changed", {"webhook": webhook}
    return None


class EventLog:
    def __init__(self) -> None:
        self._subscription: Subscription | None = None

    def start(self, bus: EventBus) -> None:
        self._subscription = bus.subscribe(Event, self._on_event, local_only=True)

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.unsubscribe()
            self._subscription = None

    @staticmethod
    def _on_event(event: Event) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        line = _line(event)
        if line is not None:
            words, fields = line
            # The fields as JSON keys with HANDOFF_LOG_FORMAT=json; as "key=value" words in the text line.
            log.info("%s %s", words, " ".join(f"{k}={v}" for k, v in fields.items()), extra=fields)
