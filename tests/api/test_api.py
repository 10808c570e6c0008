"""HTTP API v1 through its public surface, bad input included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select, text

from handoff.api.app import create_app
from handoff.core import Core
from handoff.events import MessageAdded
from handoff.settings import Settings
from handoff.views import AgentRef
from handoff.widget import NOT_SIGNED, sign
from models import AttentionFlag, Conversation, Message
from tests.support import free_port, metric_figures

pytestmark = pytest.mark.usefixtures("shop")


async def open_conversation(
    api: httpx.AsyncClient, text: str | None = "Where is my order?"
) -> tuple[str, dict[str, str]]:
    body = {"service": "shop", **({"text": text} if text else {})}
    response = await api.post("/api/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return data["id"], {"Authorization": f"Bearer {data['token']}"}


async def bot_key(core: Core) -> dict[str, str]:
    return {"X-API-Key": await core.keys.create(slug="shop", agent=None)}


async def test_health_and_docs(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    assert (await api.get("/docs")).status_code == 200
    paths = (await api.get("/openapi.json")).json()["paths"]
    assert "/api/v1/conversations/{conversation_id}/ai-messages" in paths


async def test_a_whole_conversation(api: httpx.AsyncClient, core: Core) -> None:
    response = await api.post(
        "/api/v1/conversations",
        json={
            "service": "shop",
            "text": "Do you ship to Norway?",
            "customer": {"name": "Ingrid", "external_id": "crm-42"},
            "location": {"city": "Oslo", "region": "Oslo", "country": "NO"},
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert created["service"] == "shop" and created["status"] == "ai_active" and created["token"]
    assert created["location"] == {"city": "Oslo", "region": "Oslo", "country": "NO"}
    assert [m["text"] for m in created["messages"]] == ["Do you ship to Norway?"]
    cid, auth = created["id"], {"Authorization": f"Bearer {created['token']}"}

    ai = await api.post(
        f"/api/v1/conversations/{cid}/ai-messages",
        headers=await bot_key(core),
        json={"text": "Yes, in 3 days.", "agent": "Sales"},
    )
    assert ai.status_code == 201 and ai.json()["role"] == "ai" and ai.json()["rating"] is None
    posted = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "Great"})
    assert posted.status_code == 201
    assert set(posted.json()) == {"id", "conversation_id", "role", "text", "created_at"}

    listing = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
    assert [(m["role"], m["text"]) for m in listing] == [
        ("user", "Do you ship to Norway?"),
        ("ai", "Yes, in 3 days."),
        ("user", "Great"),
    ]
    after = (
        await api.get(f"/api/v1/conversations/{cid}/messages?after={listing[0]['id']}", headers=auth)
    ).json()
    assert [m["text"] for m in after["messages"]] == ["Yes, in 3 days.", "Great"]

    rated = await api.post(
        f"/api/v1/conversations/{cid}/messages/{ai.json()['id']}/rating", headers=auth, json={"value": "down"}
    )
    assert rated.status_code == 200 and rated.json()["rating"] == "down"
    assert (await api.post(f"/api/v1/conversations/{cid}/human-request", headers=auth)).status_code == 200
    card = await core.conversations.get(cid)
    assert (card.agent_name, [f.kind for f in card.open_flags]) == (
        "Sales",
        ["thumbs_down", "help_requested"],
    )

    assert (await api.post(f"/api/v1/conversations/{cid}/end", headers=auth)).status_code == 200
    assert (await core.board.stats()).active == 0
    late = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "Hello?"})
    assert late.status_code == 409


async def test_repeated_client_message_id_gives_200_and_the_first_message(api: httpx.AsyncClient) -> None:
    cid, auth = await open_conversation(api)
    first = await api.post(
        f"/api/v1/conversations/{cid}/messages",
        headers=auth,
        json={"text": "one", "client_message_id": "abc"},
    )
    again = await api.post(
        f"/api/v1/conversations/{cid}/messages",
        headers=auth,
        json={"text": "two", "client_message_id": "abc"},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    listing = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
    assert len(listing) == 2


async def test_unicode_and_markup_are_stored_exactly(api: httpx.AsyncClient) -> None:
    text = "<img src=x onerror=alert(1)> «ça» 😀 \\u0000-looking"
    cid, auth = await open_conversation(api, text)
    listing = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
    assert listing[0]["text"] == text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": ""}, 422),
        ({"text": "   "}, 422),
        ({"text": "x" * 4001}, 422),
        ({"text": 42}, 422),
        ({}, 422),
        ({"text": "ok", "client_message_id": ""}, 422),
        ([1, 2], 422),
    ],
)
async def test_bad_message_bodies(api: httpx.AsyncClient, body: object, status: int) -> None:
    cid, auth = await open_conversation(api)
    response = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json=body)
    assert response.status_code == status, response.text
    assert "detail" in response.json()


RAW_BODIES = {
    "empty": (b"", "application/json"),
    "not JSON": (b"text=hello", "application/x-www-form-urlencoded"),
    "plain text": (b"hello", "text/plain"),
    "invalid UTF-8": (b'{"text": "caf\xe9 \xff"}', "application/json"),
    "a lone surrogate": (b'{"text": "half \\ud800 a pair"}', "application/json"),
    "NaN": (b'{"text": NaN}', "application/json"),
    "Infinity": (b'{"text": "hi", "client_message_id": Infinity}', "application/json"),
    "a huge number": (b'{"text": 1' + b"0" * 5000 + b"}", "application/json"),
    "deeply nested": (b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "application/json"),
    "a null byte": (b'{"text": "nul \\u0000 byte"}', "application/json"),
    "duplicate keys": (b'{"text": 1, "text": {"a": [1]}}', "application/json"),
}


@pytest.mark.parametrize("kind", list(RAW_BODIES))
async def test_hostile_bodies_get_a_4xx_with_a_detail_and_change_nothing(
    api: httpx.AsyncClient, kind: str
) -> None:
    cid, auth = await open_conversation(api)
    content, content_type = RAW_BODIES[kind]
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages",
        content=content,
        headers={**auth, "Content-Type": content_type},
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    assert "detail" in response.json()
    listing = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
    assert len(listing) == 1  # the opening message only


async def test_exactly_4000_characters_are_accepted(api: httpx.AsyncClient) -> None:
    cid, auth = await open_conversation(api)
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "é" * 4000}
    )
    assert response.status_code == 201


async def test_malformed_json_is_a_client_error(api: httpx.AsyncClient) -> None:
    cid, auth = await open_conversation(api)
    response = await api.post(
        f"/api/v1/conversations/{cid}/messages",
        content=b'{"text": "unclosed',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


async def test_a_body_over_64_kb_is_refused_with_413(api: httpx.AsyncClient) -> None:
    cid, auth = await open_conversation(api)
    big = {"text": "x" * 70_000}
    response = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json=big)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]  # the contract's error shape, like every other error

    async def chunks():  # no Content-Length: the limit still holds while streaming
        for _ in range(70):
            yield b"x" * 1024

    streamed = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, content=chunks())
    assert streamed.status_code == 413 and "detail" in streamed.json()
    listing = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
    assert len(listing) == 1


async def test_a_body_that_stops_arriving_is_refused_with_408_and_loses_nothing(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client trickling a body to hold a connection open is answered once the time limit is up."""
    monkeypatch.setattr(core.settings, "body_timeout_seconds", 0.2)
    transport = httpx.ASGITransport(app=create_app(core, manage_core=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as api:
        cid, auth = await open_conversation(api)
        never = asyncio.Event()

        async def stalls() -> AsyncIterator[bytes]:
            yield b'{"text": "half a mess'
            await never.wait()  # the rest never comes
            yield b'age"}'

        stalled = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, content=stalls())
        assert stalled.status_code == 408
        assert "within 0.2 seconds" in stalled.json()["detail"]
        sent = await api.post(f"/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "whole"})
        assert sent.status_code == 201
        listing = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"]
        assert [m["text"] for m in listing][-1] == "whole" and len(listing) == 2


async def test_unknown_service_is_404(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/v1/conversations", json={"service": "nope", "text": "hi"})
    assert response.status_code == 404


async def test_tokens_are_checked_on_every_call_and_open_only_their_own_conversation(
    api: httpx.AsyncClient,
) -> None:
    mine, my_auth = await open_conversation(api)
    theirs, _their_auth = await open_conversation(api)
    calls = [
        ("GET", f"/api/v1/conversations/{theirs}/messages", None),
        ("GET", f"/api/v1/conversations/{theirs}/events", None),
        ("POST", f"/api/v1/conversations/{theirs}/messages", {"text": "hi"}),
        ("POST", f"/api/v1/conversations/{theirs}/messages/1/rating", {"value": "down"}),
        ("POST", f"/api/v1/conversations/{theirs}/human-request", None),
        ("POST", f"/api/v1/conversations/{theirs}/end", None),
        ("POST", "/api/v1/conversations/does-not-exist/messages", {"text": "hi"}),
    ]
    for method, url, body in calls:
        for headers in ({}, my_auth, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
            response = await api.request(method, url, headers=headers, json=body)
            assert response.status_code == 401, (method, url, headers, response.text)
    assert (await api.get(f"/api/v1/conversations/{mine}/messages", headers=my_auth)).status_code == 200


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a second core on the same database: a process that has not heard of the conversations
    started through `api` (its own tokens not yet known, so they are proven in the message's transaction)."""
    other = Core.create(settings)
    await other.start()
    transport = httpx.ASGITransport(app=create_app(other, manage_core=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as client:
        yield client
    await other.stop()


async def test_a_message_to_a_process_that_never_saw_its_token_is_stored_only_with_the_right_one(
    api: httpx.AsyncClient, other_process: httpx.AsyncClient, core: Core
) -> None:
    mine, my_auth = await open_conversation(api)
    theirs, their_auth = await open_conversation(api)
    url = f"/api/v1/conversations/{mine}/messages"
    for headers in (their_auth, {"Authorization": "Bearer nonsense"}):  # never seen there, then seen
        for body in ({"text": "let me in"}, {"text": "let me in", "client_message_id": "m-1"}):
            refused = await other_process.post(url, headers=headers, json=body)
            assert refused.status_code == 401, refused.text
            assert refused.json() == {
                "detail": "a valid conversation token is needed (Authorization: Bearer <token>)"
            }
    unknown = await other_process.post(
        "/api/v1/conversations/nope/messages", headers=my_auth, json={"text": "x"}
    )
    assert unknown.status_code == 401
    assert [m.text for m in await core.conversations.messages(mine)] == ["Where is my order?"]

    first = await other_process.post(
        url, headers=my_auth, json={"text": "second", "client_message_id": "m-1"}
    )
    assert first.status_code == 201, first.text
    again = await other_process.post(
        url, headers=my_auth, json={"text": "second", "client_message_id": "m-1"}
    )
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    refused = await other_process.post(
        url, headers=their_auth, json={"text": "and now?"}
    )  # the hash is known
    assert refused.status_code == 401
    assert (
        await other_process.post(
            f"/api/v1/conversations/{theirs}/messages", headers=their_auth, json={"text": "mine"}
        )
    ).status_code == 201
    assert [m.text for m in await core.conversations.messages(mine)] == ["Where is my order?", "second"]


async def test_the_bot_needs_its_own_services_key(api: httpx.AsyncClient, core: Core) -> None:
    await core.services.add(slug="bank", name="Bank")
    other_key = {"X-API-Key": await core.keys.create(slug="bank", agent=None)}
    cid, auth = await open_conversation(api)
    url = f"/api/v1/conversations/{cid}/ai-messages"
    assert (await api.post(url, json={"text": "hi"})).status_code == 401
    assert (await api.post(url, json={"text": "hi"}, headers={"X-API-Key": "hk_wrong"})).status_code == 401
    assert (await api.post(url, json={"text": "hi"}, headers=auth)).status_code == 401
    assert (await api.post(url, json={"text": "hi"}, headers=other_key)).status_code == 404
    unknown = "/api/v1/conversations/unknown/ai-messages"
    assert (await api.post(unknown, json={"text": "hi"}, headers=await bot_key(core))).status_code == 404


async def test_ai_messages_get_409_when_the_ai_may_not_speak(
    api: httpx.AsyncClient, core: Core, alice: AgentRef, admin: AgentRef
) -> None:
    key = await bot_key(core)
    held, auth = await open_conversation(api)
    await core.handoffs.take_over(conversation_id=held, agent=alice)
    refused = await api.post(f"/api/v1/conversations/{held}/ai-messages", headers=key, json={"text": "Late!"})
    assert refused.status_code == 409
    listing = (await api.get(f"/api/v1/conversations/{held}/messages", headers=auth)).json()["messages"]
    assert "ai" not in [m["role"] for m in listing]

    other, _ = await open_conversation(api)
    await core.services.set_mode(slug="shop", mode="human_only", agent=admin)
    refused = await api.post(f"/api/v1/conversations/{other}/ai-messages", headers=key, json={"text": "Hi"})
    assert refused.status_code == 409


async def test_answered_false_raises_non_answer(api: httpx.AsyncClient, core: Core) -> None:
    cid, _ = await open_conversation(api)
    response = await api.post(
        f"/api/v1/conversations/{cid}/ai-messages",
        headers=await bot_key(core),
        json={"text": "I'm not sure about that.", "answered": False},
    )
    assert response.status_code == 201
    assert [f.kind for f in (await core.conversations.get(cid)).open_flags] == ["non_answer"]


async def test_rating_rules(api: httpx.AsyncClient) -> None:
    cid, auth = await open_conversation(api)
    own = (await api.get(f"/api/v1/conversations/{cid}/messages", headers=auth)).json()["messages"][0]
    url = f"/api/v1/conversations/{cid}/messages/{own['id']}/rating"
    assert (await api.post(url, headers=auth, json={"value": "down"})).status_code == 422
    assert (await api.post(url, headers=auth, json={"value": "meh"})).status_code == 422
    missing = f"/api/v1/conversations/{cid}/messages/999999/rating"
    assert (await api.post(missing, headers=auth, json={"value": "up"})).status_code == 404


async def test_human_request_is_409_in_ai_only(api: httpx.AsyncClient, core: Core, admin: AgentRef) -> None:
    cid, auth = await open_conversation(api)
    await core.services.set_mode(slug="shop", mode="ai_only", agent=admin)
    assert (await api.post(f"/api/v1/conversations/{cid}/human-request", headers=auth)).status_code == 409


async def test_what_the_fuzzing_found_is_refused_plainly(api: httpx.AsyncClient) -> None:
    """Each of these was a 500 or an answer outside the published schema before (issue 20)."""
    cid, auth = await open_conversation(api)
    too_big = await api.get(f"/api/v1/conversations/{cid}/messages?after={2**64}", headers=auth)
    assert too_big.status_code == 422 and "detail" in too_big.json()  # was: int too large for SQLite
    rating = await api.post(
        f"/api/v1/conversations/{cid}/messages/{2**64}/rating", json={"value": "up"}, headers=auth
    )
    assert rating.status_code == 422
    blank = await api.post(f"/api/v1/conversations/{cid}/messages", json={"text": "   "}, headers=auth)
    assert blank.status_code == 422 and "detail" in blank.json()
    paths = (await api.get("/openapi.json")).json()["paths"]
    post = paths["/api/v1/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert {"200", "201", "401", "404", "409", "413", "422"} <= set(post)


async def test_metrics_need_their_token_and_count_what_the_process_holds(
    core: Core, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, alice: AgentRef
) -> None:
    assert (await api.get("/metrics")).status_code == 404  # no HANDOFF_METRICS_TOKEN: no endpoint
    monkeypatch.setattr(core.settings, "metrics_token", "s3cret")
    transport = httpx.ASGITransport(app=create_app(core, manage_core=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as client:
        for wrong in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "s3cret"}):
            refused = await client.get("/metrics", headers=wrong)
            assert refused.status_code == 401 and refused.json() == {
                "detail": "a valid metrics token is needed"
            }
        core.presence.open_tab("tab-1", alice)
        subscription = core.bus.subscribe(MessageAdded, lambda _event: None)
        scraped = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        subscription.unsubscribe()
        core.presence.close_tab("tab-1")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    figures = metric_figures(scraped.text)
    assert figures["handoff_console_tabs"] == 1
    assert figures["handoff_bus_subscriptions"] == core.bus.subscription_count() + 1
    assert figures["handoff_event_streams"] == 0
    assert figures["handoff_event_loop_tasks"] >= 1
    assert figures["handoff_process_resident_memory_bytes"] > 10_000_000


async def test_metrics_equal_the_database_after_a_known_series_of_actions(
    core: Core, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, alice: AgentRef, bob: AgentRef
) -> None:
    monkeypatch.setattr(core.settings, "metrics_token", "s3cret")  # "shop" is this module's service
    await core.services.add(slug="bank", name="Bank")
    one = (await core.conversations.start(service_slug="shop", text="Where is my parcel?")).conversation.id
    two = (await core.conversations.start(service_slug="shop", text="Hello")).conversation.id
    three = (await core.conversations.start(service_slug="bank", text="My card?")).conversation.id
    await core.conversations.add_ai_message(conversation_id=two, text="Hi! How can I help?")
    await core.conversations.add_ai_message(
        conversation_id=three, text="I cannot answer that.", answered=False
    )
    await core.conversations.request_human(conversation_id=one)
    await core.handoffs.take_over(conversation_id=one, agent=alice)
    await core.handoffs.send(conversation_id=one, agent=alice, text="It left today.")
    await core.handoffs.take_over(conversation_id=two, agent=bob)
    await core.conversations.request_human(conversation_id=three)  # needs attention, nobody has it
    await core.conversations.end(conversation_id=two)
    await core.bus.drain()
    transport = httpx.ASGITransport(app=create_app(core, manage_core=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as client:
        await client.get("/healthz")
        text = (await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})).text
    figures = metric_figures(text)
    async with core.db.read() as session:
        roles = dict((await session.execute(select(Message.role, func.count()).group_by(Message.role))).all())
        kinds = dict(
            (
                await session.execute(select(AttentionFlag.kind, func.count()).group_by(AttentionFlag.kind))
            ).all()
        )
    stats = await core.board.stats_by_service()
    for slug in ("shop", "bank"):
        assert figures[f'handoff_conversations_live{{service="{slug}"}}'] == stats[slug].active
        assert (
            figures[f'handoff_conversations_needing_attention{{service="{slug}"}}'] == stats[slug].attention
        )
        assert figures[f'handoff_conversations_paused{{service="{slug}"}}'] == stats[slug].paused
    assert (stats["shop"].active, stats["shop"].paused, stats["bank"].attention) == (1, 1, 1)
    for role, count in roles.items():
        assert figures[f'handoff_messages_total{{role="{role}"}}'] == count
    assert sum(v for k, v in figures.items() if k.startswith("handoff_messages_total")) == sum(roles.values())
    for kind, count in kinds.items():
        assert figures[f'handoff_flags_raised_total{{kind="{kind}"}}'] == count
    assert figures["handoff_take_overs_total"] == 2
    assert figures["handoff_time_to_take_over_seconds_count"] == 1  # only "one" was flagged when taken
    assert figures["handoff_time_to_first_human_reply_seconds_count"] == 1  # only alice replied
    assert (
        figures['handoff_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"}']
        == 1
    )


async def test_ready_means_the_database_answers_with_a_current_schema(
    core: Core, api: httpx.AsyncClient
) -> None:
    ready = await api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "migrations": "current"}
    async with core.db.write() as session:  # as if this code were newer than the database
        await session.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    behind = await api.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["migrations"].startswith("behind")
    assert (await api.get("/healthz")).status_code == 200  # alive all the same


async def test_not_ready_while_the_database_cannot_be_reached() -> None:
    nowhere = Core.create(Settings(database_url=f"postgresql+asyncpg://handoff@127.0.0.1:{free_port()}/none"))
    transport = httpx.ASGITransport(app=create_app(nowhere, manage_core=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as client:
        gone = await client.get("/readyz")
    await nowhere.db.dispose()
    assert gone.status_code == 503
    assert gone.json()["status"] == "not ready" and gone.json()["database"].startswith("unreachable")


async def test_the_widget_reads_its_settings_only_from_an_allowed_site(
    api: httpx.AsyncClient, core: Core, admin: AgentRef
) -> None:
    now = core.services.settings_of(await core.services.get("shop"))
    await core.services.update(
        slug="shop",
        settings=replace(now, allowed_origins=("https://shop.example.com",), widget_color="#00aa55"),
        agent=admin,
    )
    allowed = await api.get("/api/v1/services/shop/widget", headers={"Origin": "https://shop.example.com"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert allowed.headers["vary"] == "Origin"
    assert allowed.json() == {
        "service": "shop",
        "name": "Shop",
        "color": "#00aa55",
        "greeting": "Ask us anything: our assistant answers right away.",
        "chat_path": "/chat/shop?embed=1",
    }
    other = await api.get("/api/v1/services/shop/widget", headers={"Origin": "https://evil.example.com"})
    assert other.status_code == 403 and "allowed origins" in other.json()["detail"]
    assert "access-control-allow-origin" not in other.headers
    assert (await api.get("/api/v1/services/nothing/widget")).status_code == 404

    embedded = await api.get("/chat/shop?embed=1")
    policy = embedded.headers["content-security-policy"]
    assert "frame-ancestors https://shop.example.com" in policy and "script-src-attr 'none'" in policy
    assert "x-frame-options" not in embedded.headers
    for path in ("/chat/shop", "/chat/nothing?embed=1", "/handoff?embed=1"):
        framed = await api.get(path)
        assert "frame-ancestors 'none'" in framed.headers["content-security-policy"], path
    assert (await api.get("/chat/shop")).headers["x-frame-options"] == "DENY"


async def test_a_service_that_requires_signed_identities_refuses_an_unsigned_customer(
    api: httpx.AsyncClient, core: Core, admin: AgentRef
) -> None:
    now = core.services.settings_of(await core.services.get("shop"))
    update = await core.services.update(slug="shop", settings=replace(now, signed_identity=True), agent=admin)
    secret = update.new_identity_secret
    assert secret is not None
    for customer in (
        {"name": "Eve", "external_id": "c-42"},
        {"name": "Eve", "external_id": "c-42", "signature": sign("guessed", "c-42")},
        {"name": "Eve"},
    ):
        refused = await api.post("/api/v1/conversations", json={"service": "shop", "customer": customer})
        assert refused.status_code == 403 and refused.json() == {"detail": NOT_SIGNED}, customer
    async with core.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0  # nothing kept
    signed = {"name": "Grace", "external_id": "c-42", "signature": sign(secret, "c-42")}
    started = await api.post("/api/v1/conversations", json={"service": "shop", "customer": signed})
    assert started.status_code == 201
    async with core.db.read() as session:
        stored = await session.get(Conversation, started.json()["id"])
        assert stored is not None and (stored.customer_name, stored.customer_external_id) == ("Grace", "c-42")
    anonymous = await api.post("/api/v1/conversations", json={"service": "shop", "text": "Hello"})
    assert anonymous.status_code == 201
