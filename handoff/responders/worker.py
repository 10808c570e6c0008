"""The responder worker: answers each customer message when the AI may speak.

It listens to MessageAdded; a reply that was still being produced when a human took over (or the service
turned Human Only) is refused by the core's write and dropped here, so the customer never sees it.
"""

from __future__ import annotations

import logging

from handoff.bus import EventBus, Subscription
from handoff.conversations import Conversations
from handoff.errors import AISilenced, Conflict, NotFound
from handoff.events import MessageAdded, ServiceChanged
from handoff.responders.base import Reply, ReplyRequest, Responder, ServiceConfig
from handoff.services import Services

log = logging.getLogger(__name__)
HISTORY = 20


class ResponderWorker:
    def __init__(
        self,
        *,
        conversations: Conversations,
        services: Services,
        knowledge: Responder,
        model: Responder | None = None,
        bot: Responder,
    ) -> None:
        self._conversations = conversations
        self._services = services
        self._knowledge = knowledge
        self._model = model
        self._bot = bot
        self._subscriptions: list[Subscription] = []
        self._configs: dict[str, ServiceConfig] = {}  # forgotten when the service's settings change

    def responder_for(self, service: ServiceConfig) -> Responder | None:
        """The responder of the service's AI (`Services.config` has resolved which one). An external bot
        without a URL answers through the API on its own (None)."""
        if service.answered_by == "bot":
            return self._bot if service.bot_url else None
        if service.answered_by == "model":
            return self._model
        return self._knowledge

    def start(self, bus: EventBus) -> None:
        self._subscriptions = [
            bus.subscribe(MessageAdded, self.on_message),
            bus.subscribe(ServiceChanged, self._forget),
        ]

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []

    def _forget(self, event: ServiceChanged) -> None:
        self._configs.pop(event.after.slug, None)

    async def on_message(self, event: MessageAdded) -> None:
        conversation = event.conversation
        if event.message.role != "user" or not conversation.ai_may_speak:  # the core's write re-checks
            return
        service = self._configs.get(conversation.service_slug)
        if service is None:
            service = self._configs[conversation.service_slug] = await self._services.config(
                conversation.service_slug
            )
        responder = self.responder_for(service)
        if responder is None:
            return
        try:
            history = await self._conversations.messages(conversation.id)
        except NotFound:
            return
        request = ReplyRequest(service=service, conversation=conversation, history=tuple(history[-HISTORY:]))
        reply = await responder.reply(request)
        if reply is not None:
            await self.deliver(conversation.id, reply)

    async def deliver(self, conversation_id: str, reply: Reply) -> None:
        try:
            await self._conversations.add_ai_message(
                conversation_id=conversation_id,
                text=reply.text,
                answered=reply.answered,
                agent_name=reply.agent,
            )
        except AISilenced as refused:
            log.info("AI reply dropped in %s: %s", conversation_id, refused)
        except Conflict as refused:
            log.info("AI reply not delivered in %s: %s", conversation_id, refused)
