"""The AI answers when it may, and never when it may not: built-in knowledge, a model, an external bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from handoff.core import Core
from handoff.responders.base import DONT_KNOW, UNAVAILABLE, Reply, ReplyRequest
from handoff.responders.external_bot import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from handoff.settings import Settings
from handoff.views import AgentRef
from tests.support import free_port

SAMPLES = Path(__file__).resolve().parents[2] / "handoff" / "samples"


@pytest.fixture
async def ai_core(settings: Settings) -> AsyncIterator[Core]:
    core = Core.create(settings.model_copy(update={"bot_backoff_seconds": 0.01}))
    await core.start()
    await core.services.add(slug="shop", name="Web Shop", knowledge_dir=str(SAMPLES / "shop"))
    yield core
    await core.stop()


async def transcript(core: Core, cid: str) -> list[tuple[str, str]]:
    await core.bus.drain()
    return [(m.role, m.text) for m in await core.conversations.messages(cid)]


async def test_the_built_in_ai_answers_through_a_specialist_agent(ai_core: Core) -> None:
    cid = (
        await ai_core.conversations.start(service_slug="shop", text="Do you ship to Canada?")
    ).conversation.id
    roles = await transcript(ai_core, cid)
    assert roles[-1][0] == "ai" and "Canada" in roles[-1][1]
    card = await ai_core.conversations.get(cid)
    assert card.agent_name == "Orders & Shipping" and card.open_flags == ()


async def test_an_unanswerable_question_gets_a_plain_answer_and_non_answer(ai_core: Core) -> None:
    cid = (
        await ai_core.conversations.start(service_slug="shop", text="Do you sell spaceships?")
    ).conversation.id
    assert (await transcript(ai_core, cid))[-1] == ("ai", DONT_KNOW)
    assert [f.kind for f in (await ai_core.conversations.get(cid)).open_flags] == ["non_answer"]


async def test_no_ai_while_paused_or_human_only_and_again_after_resume(
    ai_core: Core, admin: AgentRef
) -> None:
    agent = await ai_core.accounts.add(email="al@example.com", name="Al", password="password-1")
    cid = (await ai_core.conversations.start(service_slug="shop", text="Where is my parcel?")).conversation.id
    await ai_core.bus.drain()  # the AI has answered the opening question
    await ai_core.handoffs.take_over(conversation_id=cid, agent=agent)
    await ai_core.conversations.add_customer_message(conversation_id=cid, text="How much is shipping?")
    assert [r for r, _ in await transcript(ai_core, cid)] == ["user", "ai", "system", "user"]
    await ai_core.handoffs.resume_ai(conversation_id=cid, agent=agent)
    await ai_core.conversations.add_customer_message(conversation_id=cid, text="How much is shipping?")
    assert (await transcript(ai_core, cid))[-1][0] == "ai"

    await ai_core.services.set_mode(slug="shop", mode="human_only", agent=admin)
    other = (
        await ai_core.conversations.start(service_slug="shop", text="Where is my parcel?")
    ).conversation.id
    assert [r for r, _ in await transcript(ai_core, other)] == ["user"]


async def test_a_reply_still_being_produced_when_a_human_takes_over_is_dropped(ai_core: Core) -> None:
    agent = await ai_core.accounts.add(email="al@example.com", name="Al", password="password-1")
    thinking, go_on = asyncio.Event(), asyncio.Event()

    class SlowAI:
        async def reply(self, request: ReplyRequest) -> Reply | None:
            thinking.set()
            await go_on.wait()
            return Reply("Here is the answer you asked for.", agent="Sales")

    ai_core.responders._knowledge = SlowAI()  # the test's stand-in for a slow model
    cid = (await ai_core.conversations.start(service_slug="shop", text="Any discounts?")).conversation.id
    await asyncio.wait_for(thinking.wait(), 5)
    await ai_core.handoffs.take_over(conversation_id=cid, agent=agent)
    go_on.set()
    assert [r for r, _ in await transcript(ai_core, cid)] == ["user", "system"]


@contextlib.contextmanager
def local_server(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free local port in a thread, for the length of the block."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("local server did not start")
        threading.Event().wait(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def chat_completions_server(answer: str, seen: list[dict[str, Any]]) -> FastAPI:
    """A small server speaking the OpenAI chat-completions protocol."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def completions(request: Request) -> dict[str, Any]:
        body = await request.json()
        seen.append({"body": body, "authorization": request.headers.get("authorization")})
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}}
            ],
        }

    return app


@pytest.mark.parametrize(
    ("answer", "answered"), [("We ship to Canada in 5 to 8 days.", True), ("NO_ANSWER", False)]
)
async def test_the_openai_compatible_model(settings: Settings, answer: str, answered: bool) -> None:
    seen: list[dict[str, Any]] = []
    with local_server(chat_completions_server(answer, seen)) as url:
        core = Core.create(
            settings.model_copy(
                update={
                    "openai_base_url": f"{url}/v1",
                    "openai_model": "tiny-model",
                    "openai_api_key": "sk-test",
                }
            )
        )
        await core.start()
        try:
            await core.services.add(slug="shop", name="Web Shop", knowledge_dir=str(SAMPLES / "shop"))
            cid = (
                await core.conversations.start(service_slug="shop", text="Do you ship to Canada?")
            ).conversation.id
            last = (await transcript(core, cid))[-1]
            flags = [f.kind for f in (await core.conversations.get(cid)).open_flags]
        finally:
            await core.stop()
    assert last == ("ai", answer if answered else DONT_KNOW)
    assert flags == ([] if answered else ["non_answer"])
    (call,) = seen
    assert call["authorization"] == "Bearer sk-test" and call["body"]["model"] == "tiny-model"
    system, *rest = call["body"]["messages"]
    assert (
        system["role"] == "system" and "Do you ship internationally?" in system["content"]
    )  # the agent's knowledge
    assert rest == [{"role": "user", "content": "Do you ship to Canada?"}]


def bot_server(status: int, calls: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        calls.append(
            {
                "body": body,
                "timestamp": request.headers[TIMESTAMP_HEADER],
                "signature": request.headers[SIGNATURE_HEADER],
            }
        )
        return Response(status_code=status)

    return app


async def test_an_external_bot_gets_each_message_signed(settings: Settings) -> None:
    calls: list[dict[str, Any]] = []
    with local_server(bot_server(200, calls)) as url:
        core = Core.create(settings)
        await core.start()
        try:
            await core.services.add(slug="bot", name="Bot Service", bot_url=f"{url}/hook")
            secret = (await core.services.config("bot")).bot_secret
            cid = (await core.conversations.start(service_slug="bot", text="Hello bot")).conversation.id
            roles = [r for r, _ in await transcript(core, cid)]
        finally:
            await core.stop()
    assert roles == ["user"]  # the bot answers later through the API
    (call,) = calls
    assert secret and call["signature"] == sign(secret, call["timestamp"], call["body"])
    payload = json.loads(call["body"])
    assert payload["conversation_id"] == cid and payload["message"]["text"] == "Hello bot"
    assert payload["reply_path"] == f"/api/v1/conversations/{cid}/ai-messages"


async def test_a_failing_bot_is_retried_then_the_conversation_is_flagged(settings: Settings) -> None:
    calls: list[dict[str, Any]] = []
    with local_server(bot_server(503, calls)) as url:
        core = Core.create(settings.model_copy(update={"bot_attempts": 3, "bot_backoff_seconds": 0.01}))
        await core.start()
        try:
            await core.services.add(slug="bot", name="Bot Service", bot_url=f"{url}/hook")
            cid = (await core.conversations.start(service_slug="bot", text="Hello?")).conversation.id
            last = (await transcript(core, cid))[-1]
            flags = [f.kind for f in (await core.conversations.get(cid)).open_flags]
        finally:
            await core.stop()
    assert len(calls) == 3
    assert last == ("ai", UNAVAILABLE) and flags == ["non_answer"]
