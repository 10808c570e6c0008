"""/webhooks through NiceGUI's User: an admin adds an endpoint (its secret shown once), sees its deliveries
and their answers, redelivers one, turns it off and removes it; a URL that may not be reached is refused at
its field."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from handoff.core import Core
from handoff_ui.live import Live
from tests.receiver import Receiver
from tests.ui.conftest import log_in
from tests.ui.test_admin_pages import by_test_id, click, field, typed
from tests.ui.test_console import until


def deliveries(user: User) -> list[tuple[str, str]]:
    """(delivery id, status) of each row shown, in no particular order."""
    return [
        (row.props["data-delivery-id"], row.props["data-status"]) for row in by_test_id(user, "delivery-row")
    ]


async def test_an_admin_adds_watches_redelivers_and_removes_a_webhook(
    user: User, console: tuple[Core, Live], receiver: Receiver
) -> None:
    core, _ = console
    admin = await log_in(user, core)
    await core.services.add(slug="shop", name="Web Shop")
    await user.open("/webhooks")
    await user.should_see("No webhooks yet.")
    typed(user, "URL", receiver.url)
    click(user, "Add webhook")
    await until(lambda: "loopback, private or link-local" in (field(user, "URL").error or ""))
    assert await core.webhooks.all(by=admin) == []

    core.webhooks._guard.allow_private = True  # as HANDOFF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true does
    click(user, "Add webhook")
    await user.should_see("Shown only once: copy it now.", retries=50)
    (secret,) = [e for e in by_test_id(user, "secret") if isinstance(e, ui.label)]
    (hook,) = await core.webhooks.all(by=admin)
    assert hook.url == receiver.url and len(secret.text) >= 40
    await user.should_see("Nothing sent yet.")

    receiver.answer(410)
    await core.conversations.start(service_slug="shop", text="Where is my parcel?")
    await asyncio.to_thread(receiver.wait_for, 2)  # conversation.started (410: final), message.created
    await settled(core, hook.id, 2)
    click(user, "Refresh")
    await until(lambda: sorted(status for _, status in deliveries(user)) == ["dead", "delivered"])
    await user.should_see("HTTP 410: answer 410")

    (dead,) = [delivery for delivery, status in deliveries(user) if status == "dead"]
    user.find(marker=f"redeliver-{dead}").click()
    await user.should_see("Queued again.")
    again = (await asyncio.to_thread(receiver.wait_for, 3))[2]
    await settled(core, hook.id, 3)
    click(user, "Refresh")
    await until(
        lambda: dict(deliveries(user)).get(again.delivery) == "delivered" and len(deliveries(user)) == 3
    )
    assert dict(deliveries(user))[dead] == "dead"  # the old one stays as it was

    user.find(marker=f"webhook-active-{hook.id}").click()
    await until(lambda: not switch_value(user, hook.id))
    for _ in range(250):  # the switch's change reaches the core
        if not (await core.webhooks.all(by=admin))[0].active:
            break
        await asyncio.sleep(0.02)
    assert not (await core.webhooks.all(by=admin))[0].active

    click(user, "Remove")
    await user.should_see(f"Remove the webhook to {receiver.url}?", retries=50)  # a dialog: drawn by a task
    user.find(marker="confirm-action").click()
    await user.should_see("No webhooks yet.", retries=50)
    assert await core.webhooks.all(by=admin) == []


async def settled(core: Core, webhook_id: int, count: int) -> None:
    """Once `count` deliveries of the endpoint are sent or given up (the worker sends them on its own)."""
    async with asyncio.timeout(10):
        while True:
            log = await core.webhooks.deliveries(webhook_id=webhook_id, by=None)
            if len(log) >= count and all(d.status != "pending" for d in log):
                return
            await asyncio.sleep(0.02)


def switch_value(user: User, webhook_id: int) -> bool:
    (switch,) = user.find(marker=f"webhook-active-{webhook_id}").elements
    assert isinstance(switch, ui.switch)
    return bool(switch.value)
