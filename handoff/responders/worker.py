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
from handoff.responders.knowledge import KnowledgeResponder
from handoff.services import Services

log = logging.getLogger(__name__)
HISTORY = 20
SUGGEST_FROM = 3  # the customer's last few messages are tried for a suggested reply, newest first


class ResponderWorker:
    def __init__(
        self,
        *,
        conversations: Conversations,
        services: Services,
        knowledge: KnowledgeResponder,
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
            bus.subscribe(MessageAdded, self.on_message, local_only=True),  # answered once: here
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
        service = await self._config(conversation.service_slug)
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

    async def suggest(self, conversation_id: str) -> str | None:
        """A draft for the agent who just took over: the model's reply when the service answers with the
        model, else the knowledge base's best answer to the customer's latest question it can answer. None
        when there is none; nothing is sent to the customer."""
        conversation = await self._conversations.get(conversation_id)
        service = await self._config(conversation.service_slug)
        history = await self._conversations.messages(conversation_id)
        if service.answered_by == "model" and self._model is not None:
            request = ReplyRequest(
                service=service, conversation=conversation, history=tuple(history[-HISTORY:])
            )
            reply = await self._model.reply(request)
            return reply.text if reply is not None and reply.answered else None
        questions = [message.text for message in reversed(history) if message.role == "user"][:SUGGEST_FROM]
        for question in questions:
            found = await self._knowledge.consult(
                service.knowledge_dir,
                question,
                agent_name=conversation.agent_name,
                opening_question=conversation.opening_question,
            )
            if found.answered and found.matched_question is not None:  # an answer, not small talk
                return found.text
        return None

    async def _config(self, slug: str) -> ServiceConfig:
        service = self._configs.get(slug)
        if service is None:
            service = self._configs[slug] = await self._services.config(slug)
        return service

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
