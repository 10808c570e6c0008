"""The webhooks' outbox: what an outgoing webhook is told, written in the transaction of the change itself.

Each write that publishes events also calls `stage` (or `stage_async`) with them before it commits: for every
active endpoint that asked for an event, a delivery row holding the exact JSON body it will be POSTed. A crash
between the commit and the POST loses nothing, and a write that rolls back tells nobody. The sending is
`handoff.webhooks.WebhookWorker`'s.

The body (CONTRACT.md): `{"event", "delivery", "created_at", "data"}`; `data` holds the service, the
conversation's card and the message, flag or agent concerned. Notes never leave: they are not these events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from handoff import records
from handoff.events import (
    AIResumed,
    ConversationEnded,
    ConversationReleased,
    ConversationStarted,
    ConversationTakenOver,
    Event,
    FlagOpened,
    MessageAdded,
    ServiceModeChanged,
)
from handoff.views import ConversationView, FlagView
from handoff.words import FLAG_WORDS, MODE_WORDS, ROLE_WORDS
from models import Service, Webhook, WebhookDelivery

EVENTS = (
    "conversation.started",
    "message.created",
    "flag.raised",
    "conversation.taken_over",
    "conversation.released",
    "conversation.ai_resumed",
    "conversation.ended",
    "service.mode_changed",
)
FORMATS = ("json", "slack")


@dataclass(frozen=True, slots=True)
class _Told:
    """One event as webhooks tell it: its name, what orders it (its conversation, or its service), its
    service's slug and its data (the service's name is added when staged)."""

    name: str
    ordering_key: str
    service_slug: str
    data: dict[str, Any]


def _conversation(card: ConversationView) -> dict[str, Any]:
    data = card.to_api()
    data["needs_attention"] = card.needs_attention
    data["customer_name"] = card.customer_name
    data["demo"] = card.is_demo
    return data


def _flag(flag: FlagView) -> dict[str, Any]:
    return {
        "id": flag.id,
        "kind": flag.kind,
        "reason": flag.reason,
        "opened_at": flag.opened_at.isoformat(),
        "score": flag.score,
        "message_id": flag.message_id,
    }


# The events a webhook can be told about (`_told`); every other event stages nothing.
TOLD = (
    ConversationStarted,
    MessageAdded,
    FlagOpened,
    ConversationTakenOver,
    ConversationReleased,
    AIResumed,
    ConversationEnded,
    ServiceModeChanged,
)


def tells(event: Event) -> bool:
    """Whether `event` is one a webhook may be told about (so it may have staged deliveries)."""
    return isinstance(event, TOLD)


def _told(event: Event) -> _Told | None:
    def about(name: str, card: ConversationView, **more: Any) -> _Told:
        key = f"conversation:{card.id}"
        return _Told(name, key, card.service_slug, {"conversation": _conversation(card), **more})

    match event:
        case ConversationStarted(conversation=card):
            return about("conversation.started", card)
        case MessageAdded(message=message, conversation=card):
            return about("message.created", card, message=message.to_api())
        case FlagOpened(flag=flag, conversation=card):
            return about("flag.raised", card, flag=_flag(flag))
        case ConversationTakenOver(conversation=card, agent_id=agent_id, agent_name=agent_name):
            return about("conversation.taken_over", card, agent={"id": agent_id, "name": agent_name})
        case ConversationReleased(conversation=card, agent_id=agent_id):
            return about("conversation.released", card, agent={"id": agent_id})
        case AIResumed(conversation=card, agent_id=agent_id):
            return about("conversation.ai_resumed", card, agent={"id": agent_id} if agent_id else None)
        case ConversationEnded(conversation=card):
            return about("conversation.ended", card)
        case ServiceModeChanged(service=service, previous_mode=previous):
            data = {"mode": service.mode, "previous_mode": previous}
            return _Told("service.mode_changed", f"service:{service.slug}", service.slug, data)
    return None


def stage(session: Session, events: Sequence[Event]) -> int:
    """Add a delivery for each event to each active endpoint that asked for it; how many were added. Plain
    code, run in the transaction that made the events (on SQLite's writer thread, or by `stage_async`)."""
    if not any(map(tells, events)):
        return 0
    endpoints = session.execute(select(Webhook.id, Webhook.events).where(Webhook.active.is_(True))).all()
    if not endpoints:  # the usual case: nothing to build (a card's data for each event, on every message)
        return 0
    told = [t for t in map(_told, events) if t is not None]  # not empty: `tells` held for one of them
    slugs = {t.service_slug for t in told}
    names = dict(session.execute(select(Service.slug, Service.name).where(Service.slug.in_(slugs))).all())
    now = records.utcnow()
    added = 0
    for t in told:
        data = {"service": {"slug": t.service_slug, "name": names.get(t.service_slug, t.service_slug)}}
        data |= t.data
        for endpoint_id, wanted in endpoints:
            if t.name in wanted:
                session.add(new_delivery(endpoint_id, t.name, t.ordering_key, now, data))
                added += 1
    return added


async def stage_async(session: AsyncSession, events: Sequence[Event]) -> int:
    """`stage` in an async write transaction."""
    return await session.run_sync(stage, events)


def new_delivery(
    webhook_id: int,
    event: str,
    ordering_key: str,
    happened_at: datetime,
    data: dict[str, Any],
    *,
    redelivery_of: str | None = None,
) -> WebhookDelivery:
    """A pending delivery of one event to one endpoint, due now, its body written once for every attempt."""
    delivery = uuid.uuid4().hex
    payload = {"event": event, "delivery": delivery, "created_at": happened_at.isoformat(), "data": data}
    now = records.utcnow()
    return WebhookDelivery(
        id=delivery,
        webhook_id=webhook_id,
        event=event,
        ordering_key=ordering_key,
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        redelivery_of=redelivery_of,
    )


def slack_text(payload: dict[str, Any], console_url: str) -> str:
    """A readable line for a Slack incoming webhook, with a link to the conversation in the console:
    "Help Requested in Web Shop: 'Where is my parcel?' - <link|open>". Slack's own markup characters in what
    customers wrote are escaped, so a message can't make a link or a mention."""
    data = payload["data"]
    service = _escape(data["service"]["name"])
    if payload["event"] == "service.mode_changed":
        mode, previous = MODE_WORDS[data["mode"]], MODE_WORDS[data["previous_mode"]]
        return f"{service} is now {mode} (was {previous})"
    card = data["conversation"]
    link = f"<{console_url.rstrip('/')}/conversations/{card['id']}|open>"
    question = _escape(_short(card.get("opening_question") or "(no question yet)"))
    what = {
        "conversation.started": "New conversation",
        "conversation.ended": "Conversation ended",
        "conversation.released": "Released for a colleague",
        "conversation.ai_resumed": "Back with the AI",
    }.get(payload["event"])
    if payload["event"] == "flag.raised":
        what = FLAG_WORDS[data["flag"]["kind"]]
    elif payload["event"] == "conversation.taken_over":
        what = f"Taken over by {_escape(data['agent']['name'])}"
    elif payload["event"] == "message.created":
        message = data["message"]
        who = _escape(message.get("author") or ROLE_WORDS[message["role"]])
        return f"{who} in {service}: '{_escape(_short(message['text']))}' - {link}"
    return f"{what} in {service}: '{question}' - {link}"


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
