"""An OpenAI-compatible chat-completions model, with the specialist agent's knowledge as its context."""

from __future__ import annotations

import logging

import httpx

from handoff.responders.base import DONT_KNOW, UNAVAILABLE, Reply, ReplyRequest
from handoff.responders.knowledge import KnowledgeCache

log = logging.getLogger(__name__)
NO_ANSWER = "NO_ANSWER"
ROLES = {"user": "user", "ai": "assistant", "human": "assistant"}


class OpenAICompatibleResponder:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        knowledge: KnowledgeCache,
        client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._knowledge = knowledge
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def reply(self, request: ReplyRequest) -> Reply | None:
        agent, context = await self._context(request)
        messages = [{"role": "system", "content": self._instructions(request, agent, context)}]
        messages += [{"role": ROLES[m.role], "content": m.text} for m in request.history if m.role in ROLES]
        try:
            response = await self._client.post(
                self._url,
                headers=self._headers,
                json={"model": self._model, "messages": messages, "temperature": 0.2},
            )
            response.raise_for_status()
            text = str(response.json()["choices"][0]["message"]["content"]).strip()
        except (httpx.HTTPError, KeyError, IndexError, TypeError, ValueError) as error:
            log.warning("the model at %s failed: %s", self._url, error)
            return Reply(UNAVAILABLE, answered=False, agent=agent)
        if not text or NO_ANSWER in text:
            return Reply(DONT_KNOW, answered=False, agent=agent)
        return Reply(text, answered=True, agent=agent)

    async def _context(self, request: ReplyRequest) -> tuple[str | None, str]:
        folder = request.service.knowledge_dir
        if not folder:
            return request.conversation.agent_name, ""
        base = await self._knowledge.get(folder)
        conversation = request.conversation
        agent = conversation.agent_name or base.route(conversation.opening_question or request.question)
        sections = next((a.sections for a in base.agents if a.name == agent), ())
        return agent, "\n\n".join(f"Q: {s.question}\nA: {s.answer}" for s in sections)

    @staticmethod
    def _instructions(request: ReplyRequest, agent: str | None, context: str) -> str:
        who = f"{agent}, " if agent else ""
        text = f"You are {who}a customer service assistant for {request.service.name}. Be brief and friendly."
        if context:
            text += (
                " Answer only from the knowledge below. If it does not contain the answer, reply exactly "
                f"{NO_ANSWER}.\n\nKnowledge:\n{context}"
            )
        return text
