"""The routes of HTTP API v1 (CONTRACT.md)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from handoff.api.schemas import (
    MAX_ID,
    AIMessageIn,
    CustomerMessageIn,
    RatingIn,
    StartConversationIn,
    error_responses,
)
from handoff.conversations import TOKEN_NEEDED, Location
from handoff.core import Core
from handoff.errors import Forbidden, NotFound, Unauthorized
from handoff.events import AgentTyping
from handoff.streams import Feed, FeedOverflow, TooManyStreams
from handoff.views import MessageView

KEEP_ALIVE_SECONDS = 15.0

router = APIRouter(prefix="/api/v1", responses=error_responses())


async def get_core(request: Request) -> Core:
    """The core (async: a plain function would be run in a worker thread for every request)."""
    core: Core = request.app.state.core
    return core


CoreDep = Annotated[Core, Depends(get_core)]


async def customer_token(
    authorization: Annotated[str | None, Header()] = None,
    token: Annotated[str | None, Query(description="for EventSource, which cannot send headers")] = None,
) -> str:
    """The conversation token the caller sent (Authorization: Bearer, or ?token=), not yet proven."""
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    if not token:
        raise Unauthorized(TOKEN_NEEDED)
    return token


CustomerToken = Annotated[str, Depends(customer_token)]


async def customer_conversation(conversation_id: str, core: CoreDep, token: CustomerToken) -> str:
    """The conversation id, once the bearer token proves it is the caller's own."""
    if not await core.conversations.verify_token(conversation_id, token):
        raise Unauthorized(TOKEN_NEEDED)
    return conversation_id


async def bot_conversation(
    conversation_id: str, core: CoreDep, x_api_key: Annotated[str | None, Header()] = None
) -> str:
    """The conversation id, once the API key proves the caller is its service's bot."""
    service = await core.keys.service_for(x_api_key) if x_api_key else None
    if service is None:
        raise Unauthorized("a valid service API key is needed (X-API-Key)")
    conversation = await core.conversations.get(conversation_id)
    if conversation.service_slug != service.slug:
        raise NotFound("no such conversation")
    return conversation_id


CustomerConversation = Annotated[str, Depends(customer_conversation)]
BotConversation = Annotated[str, Depends(bot_conversation)]


@router.post("/conversations", status_code=201)
async def start_conversation(
    body: StartConversationIn,
    core: CoreDep,
    request: Request,
    x_forwarded_for: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Open a conversation. Keep the returned `token`: every later call for it needs it.

    Without a `location`, it is looked up from the client's address.
    """
    customer = body.customer
    identity = await core.widget.identity(
        body.service,
        name=customer.name if customer else None,
        external_id=customer.external_id if customer else None,
        signature=customer.signature if customer else None,
    )
    if body.location is not None:
        location: Location | None = Location(**body.location.model_dump())
    else:
        peer = request.client.host if request.client else None
        location = core.locator.locate(core.locator.client_address(peer, x_forwarded_for))
    started = await core.conversations.start(
        service_slug=body.service,
        text=body.text,
        customer_name=identity.name,
        customer_external_id=identity.external_id,
        location=location,
    )
    result = started.conversation.to_api()
    result["token"] = started.token
    result["messages"] = [started.first_message.to_api()] if started.first_message else []
    return result


@router.post(
    "/conversations/{conversation_id}/messages",
    status_code=201,
    responses={200: {"description": "the same client_message_id again: the first message, not a new one"}},
)
async def post_message(
    conversation_id: str, token: CustomerToken, body: CustomerMessageIn, core: CoreDep, response: Response
) -> dict[str, Any]:
    """A customer message; the same `client_message_id` again returns the first message with 200."""
    added = await core.conversations.add_customer_message(  # the token is proven with the write
        conversation_id=conversation_id, text=body.text, client_message_id=body.client_message_id, token=token
    )
    if not added.created:
        response.status_code = 200
    return added.message.to_api()


@router.get("/conversations/{conversation_id}/messages")
async def list_messages(
    conversation_id: CustomerConversation,
    core: CoreDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> dict[str, Any]:
    messages = await core.conversations.messages(conversation_id, after=after)
    return {"messages": [m.to_api() for m in messages]}


@router.get("/conversations/{conversation_id}/events", response_class=StreamingResponse)
async def message_events(
    conversation_id: CustomerConversation,
    core: CoreDep,
    request: Request,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
    x_forwarded_for: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events: one `data: <message json>` per new message (`id:` is the message id), and an
    `event: typing` with `data: {"agent": name}` while the agent who took over types a reply (a named event:
    EventSource's `onmessage` never sees it).

    With `after` or a `Last-Event-ID` header, the messages after that id are sent first. A conversation
    keeps its newest few streams open (a new one ends the oldest); an address that holds its limit of
    streams gets 429.
    """
    if last_event_id and last_event_id.isdigit():
        after = int(last_event_id)
    peer = request.client.host if request.client else None
    address = core.locator.client_address(peer, x_forwarded_for)
    core.streams.check(address)
    return StreamingResponse(
        _event_stream(core, conversation_id, after, address),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _event_stream(
    core: Core, conversation_id: str, after: int | None, address: str | None
) -> AsyncIterator[str]:
    try:
        async with core.streams.feed(conversation_id, address) as feed:
            async for chunk in _events(core, feed, conversation_id, after):
                yield chunk
    except TooManyStreams:  # another request took the last place since the check: end at once
        return


async def _events(core: Core, feed: Feed, conversation_id: str, after: int | None) -> AsyncIterator[str]:
    last_id = after
    if after is not None:
        for missed in await core.conversations.messages(conversation_id, after=after):
            yield _sse(missed)
            last_id = missed.id
    yield ": connected\n\n"
    while True:
        try:
            message = await feed.next(KEEP_ALIVE_SECONDS)
        except FeedOverflow:
            return
        if message is None:
            yield ": keep-alive\n\n"
        elif isinstance(message, AgentTyping):
            typing = json.dumps({"agent": message.agent_name}, ensure_ascii=False)
            yield f"event: typing\ndata: {typing}\n\n"
        elif last_id is None or message.id > last_id:
            yield _sse(message)
            last_id = message.id


def _sse(message: MessageView) -> str:
    return f"id: {message.id}\ndata: {json.dumps(message.to_api(), ensure_ascii=False)}\n\n"


@router.post("/conversations/{conversation_id}/messages/{message_id}/rating")
async def rate_message(
    conversation_id: CustomerConversation,
    message_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: RatingIn,
    core: CoreDep,
) -> dict[str, Any]:
    """Rate an AI message; "down" raises Thumbs Down."""
    message = await core.conversations.rate(
        conversation_id=conversation_id, message_id=message_id, value=body.value
    )
    return message.to_api()


@router.post("/conversations/{conversation_id}/human-request")
async def request_human(conversation_id: CustomerConversation, core: CoreDep) -> dict[str, Any]:
    """The customer asks for a human (Help Requested); 409 in AI Only mode."""
    conversation = await core.conversations.request_human(conversation_id=conversation_id)
    return conversation.to_api()


@router.post("/conversations/{conversation_id}/end")
async def end_conversation(conversation_id: CustomerConversation, core: CoreDep) -> dict[str, Any]:
    conversation = await core.conversations.end(conversation_id=conversation_id)
    return conversation.to_api()


@router.post("/conversations/{conversation_id}/ai-messages", status_code=201)
async def post_ai_message(
    conversation_id: BotConversation, body: AIMessageIn, core: CoreDep
) -> dict[str, Any]:
    """An external bot's reply; 409 when the AI may not speak (the reply is dropped)."""
    message = await core.conversations.add_ai_message(
        conversation_id=conversation_id, text=body.text, answered=body.answered, agent_name=body.agent
    )
    return message.to_api()


@router.get("/services/{slug}/widget")
async def widget_settings(
    slug: Annotated[str, Path(max_length=64)],
    core: CoreDep,
    response: Response,
    origin: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """What the chat widget (`/widget.js`) shows before its chat opens: the service's name, colour and
    greeting, and where its chat is. Readable by the pages of the service's allowed origins (CORS); 403 for
    a page of any other site."""
    embedding = await core.widget.embedding(slug)
    if origin is not None:
        if not embedding.allows(origin):
            raise Forbidden("this site is not among the service's allowed origins for the chat widget")
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    service = embedding.service
    return {
        "service": service.slug,
        "name": service.name,
        "color": embedding.color,
        "greeting": embedding.greeting,
        "chat_path": f"/chat/{service.slug}?embed=1",
    }
