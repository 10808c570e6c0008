"""Outgoing webhooks against a real HTTP receiver: signed, retried with the same delivery id, final on a
4xx, in order per conversation, never to a private address unless allowed, written with the change (the
outbox), and only admins manage them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from handoff import outbox
from handoff.core import Core
from handoff.errors import Forbidden, Invalid
from handoff.events import ConversationUpdated, Event, MessageAdded, WebhooksChanged
from handoff.outbox import EVENTS
from handoff.settings import Settings
from handoff.views import AgentRef
from handoff.webhooks import RefusedAddress
from models import WebhookDelivery
from tests.receiver import Received, Receiver
from tests.support import event_types, sample_of

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    """A core whose webhooks may reach this machine (the receiver), with quick retries. It replaces the
    shared `core`, so that the accounts' fixtures use it: a second core on the database would be a second
    sender, with the default settings."""
    allowed = settings.model_copy(
        update={
            "webhook_allow_private_addresses": True,
            "webhook_backoff_seconds": 0.05,
            "webhook_attempts": 4,
            "webhook_timeout_seconds": 10.0,
            "public_url": "https://handoff.example.com",
        }
    )
    core = Core.create(allowed)
    await core.start()
    await core.services.add(slug="shop", name="Web Shop")
    yield core
    await core.stop()


@pytest.fixture
def hooked(core: Core) -> Core:
    return core


async def received(receiver: Receiver, count: int, event: str | None = None) -> list[Received]:
    return await asyncio.to_thread(receiver.wait_for, count, event=event)


async def rows(core: Core) -> list[WebhookDelivery]:
    async with core.db.read() as session:
        return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.seq)))


async def settled(core: Core, count: int) -> list[WebhookDelivery]:
    """The deliveries, once `count` of them are no longer pending (the worker's own loop sends them)."""
    for _ in range(400):
        found = await rows(core)
        if sum(row.status != "pending" for row in found) >= count:
            return found
        await core.webhook_worker.deliver_due()  # a second sender beside the worker, as another process is
        await asyncio.sleep(0.01)  # let the worker's attempts run
    raise AssertionError(f"not {count} settled deliveries: {[(r.event, r.status) for r in await rows(core)]}")


def verify(request: Received, secret: str) -> bool:
    timestamp = request.headers["x-handoff-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["x-handoff-signature"], f"sha256={expected}")


@BACKENDS
async def test_each_event_arrives_signed_with_the_card_and_what_it_is_about(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    hook, secret = await hooked.webhooks.add(url=receiver.url, by=admin)
    assert hook.events == EVENTS  # all, when none are named
    started = await hooked.conversations.start(service_slug="shop", text="Where is my parcel?")
    cid = started.conversation.id
    await hooked.conversations.request_human(conversation_id=cid)
    await hooked.handoffs.take_over(conversation_id=cid, agent=admin)
    await hooked.notes.add(conversation_id=cid, agent=admin, text="secret internal note")
    await hooked.handoffs.send(conversation_id=cid, agent=admin, text="It left today.")
    await hooked.handoffs.release(conversation_id=cid, agent=admin)
    await hooked.handoffs.resume_ai(conversation_id=cid, agent=admin)
    await hooked.conversations.end(conversation_id=cid)
    await hooked.services.set_mode(slug="shop", mode="human_only", agent=admin)

    for event in EVENTS:
        await received(receiver, 1, event)
    requests = receiver.requests
    assert all(verify(r, secret) for r in requests)
    assert all(r.json()["delivery"] == r.delivery for r in requests)
    assert all(r.json()["event"] == r.headers["x-handoff-event"] for r in requests)
    assert b"secret internal note" not in b"".join(r.body for r in requests)  # notes never leave
    by_event = {r.headers["x-handoff-event"]: r.json()["data"] for r in requests}
    assert by_event["conversation.started"]["conversation"]["opening_question"] == "Where is my parcel?"
    assert by_event["conversation.started"]["service"] == {"slug": "shop", "name": "Web Shop"}
    flag = by_event["flag.raised"]
    assert flag["flag"]["kind"] == "help_requested" and flag["conversation"]["needs_attention"] is True
    assert by_event["conversation.taken_over"]["agent"] == {"id": admin.id, "name": "Ada"}
    assert by_event["conversation.ended"]["conversation"]["ended_at"] is not None
    assert by_event["service.mode_changed"]["mode"] == "human_only"
    texts = [
        r.json()["data"]["message"]["text"]
        for r in requests
        if r.headers["x-handoff-event"] == "message.created"
    ]
    assert "Where is my parcel?" in texts and "It left today." in texts
    # In order for the conversation: what happened first arrived first.
    order = [
        r.headers["x-handoff-event"]
        for r in requests
        if r.headers["x-handoff-event"] != "service.mode_changed"
    ]
    assert (
        order.index("conversation.started")
        < order.index("flag.raised")
        < order.index("conversation.taken_over")
    )
    assert (
        order.index("conversation.released")
        < order.index("conversation.ai_resumed")
        < order.index("conversation.ended")
    )


async def test_a_500_twice_then_200_is_delivered_once_with_one_delivery_id(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started"], by=admin)
    receiver.answer(500, 503)
    await hooked.conversations.start(service_slug="shop", text="Hello")
    (row,) = await settled(hooked, 1)
    tries = receiver.wait_for(3)
    assert len(tries) == 3 and len({r.delivery for r in tries}) == 1 and tries[0].delivery == row.id
    assert (row.status, row.attempts, row.last_status) == ("delivered", 3, 200)
    assert [r.body for r in tries] == [tries[0].body] * 3  # the same body every time, signed anew
    assert hooked.webhook_worker.outcomes == {"retried": 2, "delivered": 1}


async def test_a_400_is_final_and_the_next_event_of_the_conversation_goes_on(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started", "flag.raised"], by=admin)
    receiver.answer(400)
    cid = (await hooked.conversations.start(service_slug="shop", text="Hi")).conversation.id
    await hooked.conversations.request_human(conversation_id=cid)
    first, second = await settled(hooked, 2)
    assert (first.event, first.status, first.attempts, first.last_status) == (
        "conversation.started",
        "dead",
        1,
        400,
    )
    assert "answer 400" in (first.last_answer or "")
    assert (second.event, second.status) == ("flag.raised", "delivered")
    assert len(receiver.requests) == 2


async def test_retries_give_up_after_the_attempts(hooked: Core, receiver: Receiver, admin: AgentRef) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started"], by=admin)
    receiver.answer(503, 429, 500, 502, 200)
    await hooked.conversations.start(service_slug="shop", text="Anyone?")
    (row,) = await settled(hooked, 1)
    assert (row.status, row.attempts, row.last_status) == ("dead", 4, 502)  # 4 attempts, as set
    assert len(receiver.requests) == 4


async def test_a_receiver_that_never_answers_times_out_and_is_tried_again(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhook_worker.stop()
    hooked.webhook_worker._timeout = 1.0
    hooked.webhook_worker.start(hooked.bus)
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started"], by=admin)
    receiver.answer("hang")
    await hooked.conversations.start(service_slug="shop", text="Anyone?")
    (row,) = await settled(hooked, 1)
    assert (row.status, row.attempts, row.last_status) == ("delivered", 2, 200)
    first, second = receiver.requests
    assert first.delivery == second.delivery


async def test_a_conversation_waits_behind_its_own_pending_delivery_but_not_behind_others(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started", "flag.raised"], by=admin)
    hooked.webhook_worker._backoff = 30.0  # the first one's retry is far off
    receiver.answer(500)
    slow = (await hooked.conversations.start(service_slug="shop", text="First")).conversation.id
    await received(receiver, 1)
    await hooked.conversations.request_human(conversation_id=slow)
    other = (await hooked.conversations.start(service_slug="shop", text="Second")).conversation.id
    await received(receiver, 2)
    await settled(hooked, 1)  # the other one's answer is recorded
    found = {(r.event, r.ordering_key): r.status for r in await rows(hooked)}
    assert found == {
        ("conversation.started", f"conversation:{slow}"): "pending",  # its retry waits
        ("flag.raised", f"conversation:{slow}"): "pending",  # behind it, in order
        ("conversation.started", f"conversation:{other}"): "delivered",  # another conversation goes on
    }
    assert len(receiver.requests) == 2


async def test_the_delivery_is_written_with_the_change_and_sent_once_the_worker_runs(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["message.created"], by=admin)
    await hooked.webhook_worker.stop()  # as if the process died right after the commit
    cid = (await hooked.conversations.start(service_slug="shop", text="Stored first")).conversation.id
    with pytest.raises(Invalid):  # a write that fails tells nobody
        await hooked.conversations.add_customer_message(conversation_id=cid, text="  ")
    (row,) = await rows(hooked)
    assert row.status == "pending" and json.loads(row.body)["data"]["message"]["text"] == "Stored first"
    hooked.webhook_worker.start(hooked.bus)
    (request,) = await received(receiver, 1)
    assert request.delivery == row.id


async def test_with_no_endpoint_no_event_wakes_the_worker_and_one_added_in_any_process_is_told_at_once(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    """A console without webhooks spends nothing on them per event; the first endpoint, added here or
    announced by another process (its WebhooksChanged over the bus), is told of the next message at once."""
    worker = hooked.webhook_worker
    heard: list[Event] = []
    hooked.bus.subscribe(Event, heard.append)
    cid = (await hooked.conversations.start(service_slug="shop", text="Hello")).conversation.id
    await hooked.bus.drain()
    message = next(e for e in heard if isinstance(e, MessageAdded))
    card = next(e for e in heard if isinstance(e, ConversationUpdated))
    assert not worker.wakes_for(card)  # no webhook is ever told of a card alone
    for _ in range(500):  # the worker's own first look finds no endpoint
        if not worker.wakes_for(message):
            break
        await asyncio.sleep(0.01)
    looks = worker.looks
    for n in range(5):
        await hooked.conversations.add_customer_message(conversation_id=cid, text=f"Still there? {n}")
    await hooked.bus.drain()
    assert not worker.wakes_for(message) and worker.looks == looks  # no endpoint: no look at the outbox

    # Another process added one: only its announcement arrives here (this process's worker looks again).
    await hooked.bus.publish(WebhooksChanged(1))
    assert worker.wakes_for(message)
    await hooked.webhooks.add(url=receiver.url, events=["message.created"], by=admin)
    await hooked.conversations.add_customer_message(conversation_id=cid, text="Now you hear me")
    (request,) = await received(receiver, 1)
    assert json.loads(request.body)["data"]["message"]["text"] == "Now you hear me"


def test_the_worker_wakes_for_exactly_the_events_a_webhook_is_told_of() -> None:
    """`outbox.tells` (what wakes the worker) and what `stage` tells endpoints agree for every event type, so
    a new webhook event can't be staged and then wait for the worker's next look."""
    kinds = event_types()
    assert len(kinds) >= 20
    for kind in kinds:
        event = sample_of(kind)
        assert outbox.tells(event) == (outbox._told(event) is not None), kind


async def test_private_addresses_are_refused_unless_the_server_allows_them(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    hooked.webhooks._guard.allow_private = False  # the default
    for url in (
        receiver.url,
        "http://localhost:9/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
    ):
        with pytest.raises(RefusedAddress):
            await hooked.webhooks.add(url=url, by=admin)
    for url in ("ftp://example.com/", "https://user:pw@example.com/", "not a url", "http:///path"):
        with pytest.raises(Invalid):
            await hooked.webhooks.add(url=url, by=admin)
    # Allowed when added, refused when sent (the name may resolve elsewhere by then): dead, never sent.
    hooked.webhooks._guard.allow_private = True
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started"], by=admin)
    hooked.webhooks._guard.allow_private = False
    await hooked.conversations.start(service_slug="shop", text="Hello")
    (row,) = await settled(hooked, 1)
    assert row.status == "dead" and (row.last_answer or "").startswith(
        "refused: 127.0.0.1 resolves to 127.0.0.1"
    )
    assert receiver.requests == []


async def test_slack_gets_a_readable_line_with_a_link_to_the_conversation(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["flag.raised"], format="slack", by=admin)
    cid = (
        await hooked.conversations.start(service_slug="shop", text="Where is my <parcel>?")
    ).conversation.id
    await hooked.conversations.request_human(conversation_id=cid)
    (request,) = await received(receiver, 1)
    assert request.json() == {
        "text": "Help Requested in Web Shop: 'Where is my &lt;parcel&gt;?' - "
        f"<https://handoff.example.com/conversations/{cid}|open>"
    }


async def test_an_endpoint_that_is_off_gets_nothing_new_and_a_redelivery_is_a_new_delivery(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    hook, secret = await hooked.webhooks.add(url=receiver.url, events=["conversation.started"], by=admin)
    receiver.answer(404)
    await hooked.conversations.start(service_slug="shop", text="One")
    (dead,) = await settled(hooked, 1)
    assert dead.status == "dead"
    await hooked.webhooks.set_active(webhook_id=hook.id, active=False, by=admin)
    await hooked.conversations.start(service_slug="shop", text="Two")  # nobody is told
    assert len(await rows(hooked)) == 1
    await hooked.webhooks.set_active(webhook_id=hook.id, active=True, by=admin)
    new_secret = await hooked.webhooks.rotate_secret(webhook_id=hook.id, by=admin)
    again = await hooked.webhooks.redeliver(delivery_id=dead.id, by=admin)
    assert again.redelivery_of == dead.id and again.id != dead.id
    first, second = await received(receiver, 2)
    assert second.delivery == again.id and second.json()["data"] == first.json()["data"]
    assert verify(second, new_secret) and not verify(second, secret)
    log = await hooked.webhooks.deliveries(webhook_id=hook.id, by=admin)
    assert [(d.id, d.status) for d in log][-1] == (dead.id, "dead")
    await hooked.webhooks.remove(webhook_id=hook.id, by=admin)
    assert await hooked.webhooks.all(by=admin) == []
    async with hooked.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


async def test_only_admins_manage_webhooks(
    hooked: Core, receiver: Receiver, admin: AgentRef, alice: AgentRef
) -> None:
    hook, _ = await hooked.webhooks.add(url=receiver.url, by=admin)
    calls = [
        hooked.webhooks.add(url=receiver.url, by=alice),
        hooked.webhooks.all(by=alice),
        hooked.webhooks.remove(webhook_id=hook.id, by=alice),
        hooked.webhooks.set_active(webhook_id=hook.id, active=False, by=alice),
        hooked.webhooks.rotate_secret(webhook_id=hook.id, by=alice),
        hooked.webhooks.deliveries(webhook_id=hook.id, by=alice),
        hooked.webhooks.redeliver(delivery_id="0" * 32, by=alice),
    ]
    for call in calls:
        with pytest.raises(Forbidden):
            await call
    assert [h.id for h in await hooked.webhooks.all(by=admin)] == [hook.id]
    with pytest.raises(Invalid):
        await hooked.webhooks.add(url=receiver.url, events=["conversation.exploded"], by=admin)


async def test_the_delivery_log_forgets_old_sent_deliveries_but_never_a_pending_one(
    hooked: Core, receiver: Receiver, admin: AgentRef
) -> None:
    await hooked.webhooks.add(url=receiver.url, events=["conversation.started"], by=admin)
    await hooked.webhook_worker.stop()  # nothing is sent: the rows are set by hand below
    for text in ("sent", "dead", "pending", "recent"):
        await hooked.conversations.start(service_slug="shop", text=text)
    statuses = ["delivered", "dead", "pending", "delivered"]
    async with hooked.db.write() as session:
        for row, status in zip(
            await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.seq)),
            statuses,
            strict=True,
        ):
            row.status = status
            if json.loads(row.body)["data"]["conversation"]["opening_question"] != "recent":
                row.created_at -= timedelta(days=31)
    assert await hooked.webhook_worker.prune() == 2
    assert [row.status for row in await rows(hooked)] == ["pending", "delivered"]
