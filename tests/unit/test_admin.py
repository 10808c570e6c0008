"""The admin console's core: services' settings, archiving, API keys, accounts, and who may do each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from handoff.audit import AuditQuery
from handoff.core import Core
from handoff.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from handoff.events import AccountChanged, Event, MessageAdded, ServiceChanged, ServiceModeChanged
from handoff.handoffs import RELEASED_TEXT, RESUMED_TEXT
from handoff.services import CLOSED_TEXT
from handoff.views import AgentRef
from models import AuditEntry


def record(core: Core) -> list[Event]:
    events: list[Event] = []
    core.bus.subscribe(Event, events.append)
    return events


async def start(core: Core, text: str = "Where is my order?", slug: str = "shop") -> str:
    return (await core.conversations.start(service_slug=slug, text=text)).conversation.id


async def audit_entries(core: Core, action: str) -> list[AuditEntry]:
    async with core.db.read() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def _change_service(core: Core, who: AgentRef, _other: AgentRef) -> object:
    settings = core.services.settings_of(await core.services.get("shop"))
    return await core.services.update(slug="shop", settings=replace(settings, name="Renamed"), agent=who)


# Every admin function of the core, called as `who` would call it.
ADMIN_CALLS: dict[str, Callable[[Core, AgentRef, AgentRef], Awaitable[Any]]] = {
    "add a service": lambda c, who, other: c.services.add(slug="new", name="New", agent=who),
    "change a service": _change_service,
    "set a mode": lambda c, who, other: c.services.set_mode(slug="shop", mode="human_only", agent=who),
    "set all modes": lambda c, who, other: c.services.set_all_modes(mode="human_only", agent=who),
    "rotate the bot secret": lambda c, who, other: c.services.rotate_bot_secret(slug="shop", agent=who),
    "archive a service": lambda c, who, other: c.services.archive(slug="shop", agent=who),
    "restore a service": lambda c, who, other: c.services.restore(slug="shop", agent=who),
    "create an API key": lambda c, who, other: c.keys.create(slug="shop", agent=who),
    "list API keys": lambda c, who, other: c.keys.listed(slug="shop", agent=who),
    "revoke an API key": lambda c, who, other: c.keys.revoke(slug="shop", key_id=1, agent=who),
    "list accounts": lambda c, who, other: c.accounts.all(by=who),
    "add an account": lambda c, who, other: c.accounts.add(
        email="new@example.com", name="New", password="password-1", by=who
    ),
    "change a role": lambda c, who, other: c.accounts.set_role(account_id=other.id, role="admin", by=who),
    "reset a password": lambda c, who, other: c.accounts.reset_password(account_id=other.id, by=who),
    "deactivate an account": lambda c, who, other: c.accounts.deactivate(account_id=other.id, by=who),
    "reactivate an account": lambda c, who, other: c.accounts.reactivate(account_id=other.id, by=who),
    "open knowledge": lambda c, who, other: c.knowledge.open(slug="shop", agent=who),
    "save knowledge": lambda c, who, other: c.knowledge.save(slug="shop", agents=(), based_on="", agent=who),
    "try a question": lambda c, who, other: c.knowledge.try_question(slug="shop", question="Hi?", agent=who),
    "list unanswered questions": lambda c, who, other: c.knowledge.unanswered(slug="shop", agent=who),
    "preview a threshold": lambda c, who, other: c.tuning.recent(slug="shop", agent=who),
    "add a canned reply": lambda c, who, other: c.canned_replies.save(
        service_slug="shop", shortcut="hi", text="Hello!", agent=who
    ),
    "remove a canned reply": lambda c, who, other: c.canned_replies.remove(
        service_slug="shop", reply_id=1, agent=who
    ),
    "set the retention": lambda c, who, other: c.retention.set_days(30, by=who),
    "count what retention would delete": lambda c, who, other: c.retention.would_delete(30, by=who),
    "read the audit log": lambda c, who, other: c.audit.entries(AuditQuery(), by=who),
    "export the audit log": lambda c, who, other: c.audit.export_csv(AuditQuery(), by=who),
}


@pytest.fixture
async def knowledge_shop(core: Core) -> str:
    return (await core.services.add(slug="shop", name="Shop", answered_by="knowledge")).slug


@pytest.mark.parametrize("call", list(ADMIN_CALLS))
@pytest.mark.parametrize("who", ["plain agent", "demoted admin", "deactivated admin", "unknown account"])
async def test_only_an_active_admin_may_call_admin_functions(
    core: Core, knowledge_shop: str, admin: AgentRef, alice: AgentRef, bob: AgentRef, call: str, who: str
) -> None:
    caller = {"plain agent": alice, "unknown account": AgentRef(id=999, display_name="X", role="admin")}.get(
        who
    )
    if who == "demoted admin":
        caller = await core.accounts.add(
            email="eve@example.com", name="Eve", password="password-1", admin=True
        )
        await core.accounts.set_role(account_id=caller.id, role="agent", by=admin)
        caller = AgentRef(id=caller.id, display_name="Eve", role="admin")  # the role a page loaded before
    elif who == "deactivated admin":
        caller = await core.accounts.add(
            email="eve@example.com", name="Eve", password="password-1", admin=True
        )
        await core.accounts.deactivate(account_id=caller.id, by=admin)
    assert caller is not None
    events = record(core)
    with pytest.raises(Forbidden):
        await ADMIN_CALLS[call](core, caller, bob)
    assert events == []


@pytest.mark.parametrize("call", list(ADMIN_CALLS))
async def test_an_admin_may_call_every_admin_function(
    core: Core, knowledge_shop: str, admin: AgentRef, bob: AgentRef, call: str
) -> None:
    try:
        await ADMIN_CALLS[call](core, admin, bob)
    except (NotFound, Conflict, Invalid) as refused:  # refused for what was asked, never for who asked
        assert not isinstance(refused, Forbidden)


async def test_saving_settings_changes_the_service_everywhere_and_audits_before_and_after(
    core: Core, knowledge_shop: str, admin: AgentRef
) -> None:
    events = record(core)
    before = core.services.settings_of(await core.services.get("shop"))
    changed = replace(
        before,
        name="Web Shop",
        negative_threshold=-0.35,
        remind_after_seconds=120,
        disabled_flags=("thumbs_down",),
        help_phrases=("callback", " Callback ", "call me   back"),
    )
    update = await core.services.update(slug="shop", settings=changed, agent=admin)
    view = update.service
    assert (view.name, view.negative_threshold, view.remind_after_seconds) == ("Web Shop", -0.35, 120)
    assert view.disabled_flags == ("thumbs_down",)
    assert view.help_phrases == ("callback", "call me back")  # trimmed, repeats dropped
    assert await core.services.get("shop") == view
    (event,) = [e for e in events if isinstance(e, ServiceChanged)]
    assert (event.before.name, event.after.name, event.by_agent_id) == ("Shop", "Web Shop", admin.id)
    (entry,) = await audit_entries(core, "service_changed")
    assert entry.account_id == admin.id
    assert entry.details["changes"]["name"] == {"before": "Shop", "after": "Web Shop"}
    assert entry.details["changes"]["remind_after_seconds"] == {"before": 60, "after": 120}
    assert "mode" not in entry.details["changes"]


async def test_a_mode_saved_as_a_setting_hands_paused_conversations_back_to_the_ai(
    core: Core, knowledge_shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    cid = await start(core)
    await core.bus.drain()  # the AI's answer to the opening question is in before the agent steps in
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    events = record(core)
    settings = core.services.settings_of(await core.services.get("shop"))
    await core.services.update(slug="shop", settings=replace(settings, mode="ai_only"), agent=admin)
    assert [type(e) for e in events if isinstance(e, ServiceModeChanged)] == [ServiceModeChanged]
    card = await core.conversations.get(cid)
    assert (card.status, card.claimed_by_id) == ("ai_active", None)
    assert (await core.conversations.messages(cid))[-1].text == RESUMED_TEXT


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"mode": "sometimes"}, "mode"),
        ({"negative_threshold": 0.5}, "negative_threshold"),
        ({"negative_threshold": float("nan")}, "negative_threshold"),
        ({"remind_after_seconds": 3}, "remind_after_seconds"),
        ({"answered_by": "model"}, "answered_by"),  # no model is configured in the tests
        ({"answered_by": "bot", "bot_url": "ftp://bot.example"}, "bot_url"),
        ({"help_phrases": ("x" * 101,)}, "help_phrases"),
        ({"disabled_flags": ("sneezes",)}, "disabled_flags"),
    ],
)
async def test_bad_settings_are_refused_at_their_field_and_change_nothing(
    core: Core, knowledge_shop: str, admin: AgentRef, change: dict[str, Any], field: str
) -> None:
    before = await core.services.get("shop")
    with pytest.raises(Invalid) as refused:
        await core.services.update(
            slug="shop", settings=replace(core.services.settings_of(before), **change), agent=admin
        )
    assert refused.value.field == field
    assert await core.services.get("shop") == before


@pytest.mark.parametrize("slug", ["", "Shop", "-shop", "web shop", "shop/1", "a" * 65])
async def test_a_new_service_needs_a_url_safe_slug(core: Core, admin: AgentRef, slug: str) -> None:
    with pytest.raises(Invalid) as refused:
        await core.services.add(slug=slug, name="Shop", agent=admin)
    assert refused.value.field == "slug"


async def test_a_slug_is_unique(core: Core, knowledge_shop: str, admin: AgentRef) -> None:
    with pytest.raises(Conflict) as refused:
        await core.services.add(slug="shop", name="Another", agent=admin)
    assert refused.value.field == "slug"


async def test_a_first_bot_url_gives_a_signing_secret_shown_once_and_rotating_replaces_it(
    core: Core, knowledge_shop: str, admin: AgentRef
) -> None:
    settings = core.services.settings_of(await core.services.get("shop"))
    update = await core.services.update(
        slug="shop",
        settings=replace(settings, answered_by="bot", bot_url="https://bot.example/hook"),
        agent=admin,
    )
    assert update.new_bot_secret and (await core.services.config("shop")).bot_secret == update.new_bot_secret
    again = await core.services.update(
        slug="shop", settings=core.services.settings_of(update.service), agent=admin
    )
    assert again.new_bot_secret is None  # saved again: the secret stays and is not shown
    rotated = await core.services.rotate_bot_secret(slug="shop", agent=admin)
    assert rotated != update.new_bot_secret and (await core.services.config("shop")).bot_secret == rotated


async def test_archiving_is_refused_with_live_conversations_unless_they_are_ended_each_customer_told(
    core: Core, knowledge_shop: str, admin: AgentRef
) -> None:
    cid = await start(core)
    with pytest.raises(Conflict, match="1 live conversation"):
        await core.services.archive(slug="shop", agent=admin)
    assert not (await core.services.get("shop")).archived
    archived = await core.services.archive(slug="shop", agent=admin, end_live=True)
    assert archived.archived and [s.slug for s in await core.services.all()] == []
    assert [s.slug for s in await core.services.all(archived=True)] == ["shop"]
    card = await core.conversations.get(cid)
    assert card.ended_at is not None
    assert (await core.conversations.messages(cid))[-1].text == CLOSED_TEXT
    with pytest.raises(NotFound):
        await start(core)  # no new customers
    await core.services.restore(slug="shop", agent=admin)
    assert await start(core)


async def test_api_keys_have_labels_a_last_use_and_stop_working_when_revoked(
    core: Core, knowledge_shop: str, admin: AgentRef
) -> None:
    key = await core.keys.create(slug="shop", label="Zendesk bot", agent=admin)
    (listed,) = await core.keys.listed(slug="shop", agent=admin)
    assert (listed.label, listed.last_used_at, listed.revoked_at) == ("Zendesk bot", None, None)
    assert key.startswith(listed.prefix) and key != listed.prefix
    assert (await core.keys.service_for(key)).slug == "shop"  # type: ignore[union-attr]
    (used,) = await core.keys.listed(slug="shop", agent=admin)
    assert used.last_used_at is not None
    await core.keys.revoke(slug="shop", key_id=listed.id, agent=admin)
    assert await core.keys.service_for(key) is None
    with pytest.raises(NotFound):
        await core.keys.revoke(slug="other", key_id=listed.id, agent=admin)


async def test_a_services_own_trigger_phrases_and_switched_off_flags(server_core: Core) -> None:
    core = server_core
    admin = await core.accounts.add(email="root@example.com", name="Root", password="password-1", admin=True)
    settings = core.services.settings_of(await core.services.get("shop"))
    cid = await start(core, "Could I get a callback tomorrow?")
    assert not (await core.conversations.get(cid)).open_flags
    await core.services.update(
        slug="shop",
        settings=replace(settings, help_phrases=("callback",), disabled_flags=("negative_feedback",)),
        agent=admin,
    )
    cid = await start(core, "Could I get a callback tomorrow?")
    (flag,) = (await core.conversations.get(cid)).open_flags
    assert flag.kind == "help_requested" and "callback" in (flag.rule or "")
    angry = await start(core, "This is the worst, most useless shop I have ever used. Terrible.")
    assert [f.kind for f in (await core.conversations.get(angry)).open_flags] == []


async def test_the_threshold_preview_counts_what_the_real_detector_would_raise(server_core: Core) -> None:
    core = server_core
    admin = await core.accounts.add(email="root@example.com", name="Root", password="password-1", admin=True)
    for text in (
        "Where is my order?",
        "This is useless, I am very angry",
        "Thanks, great help",
        "meh, not ideal",
    ):
        await start(core, text)
    recent = await core.tuning.recent(slug="shop", agent=admin)
    assert len(recent) == 4
    strict, default, lenient = [
        await core.tuning.count(recent, threshold) for threshold in (-0.9, None, -0.05)
    ]
    assert strict.raised <= default.raised <= lenient.raised
    assert default.raised >= 1 and default.of == 4 and default.threshold == -0.2


# -- accounts ------------------------------------------------------------------------------------------


async def test_the_last_active_admin_can_neither_be_demoted_nor_deactivated(
    core: Core, admin: AgentRef, alice: AgentRef
) -> None:
    with pytest.raises(Conflict, match="last active admin"):
        await core.accounts.set_role(account_id=admin.id, role="agent", by=admin)
    with pytest.raises(Conflict, match="last active admin"):
        await core.accounts.deactivate(account_id=admin.id, by=admin)
    await core.accounts.set_role(account_id=alice.id, role="admin", by=admin)
    await core.accounts.set_role(account_id=admin.id, role="agent", by=None)  # now Alice is left
    roles = {a.email: a.role for a in await core.accounts.all(by=None)}
    assert roles == {"ada@example.com": "agent", "alice@example.com": "admin"}


async def test_deactivating_an_agent_releases_what_they_held_and_ends_their_sessions(
    core: Core, shop: str, admin: AgentRef, alice: AgentRef
) -> None:
    cid = await start(core)
    await core.handoffs.take_over(conversation_id=cid, agent=alice)
    events = record(core)
    await core.accounts.deactivate(account_id=alice.id, by=admin)
    card = await core.conversations.get(cid)
    assert (card.status, card.claimed_by_id) == ("paused", None)  # waiting for a colleague
    assert (await core.conversations.messages(cid))[-1].text == RELEASED_TEXT
    (changed,) = [e for e in events if isinstance(e, AccountChanged)]
    assert changed.signed_out and not changed.account.active
    (told,) = [e for e in events if isinstance(e, MessageAdded)]  # every console shows the notice
    assert told.message.id is not None and told.message.text == RELEASED_TEXT
    assert await core.accounts.get(alice.id) is None
    with pytest.raises(Unauthorized):
        await core.accounts.authenticate(email="alice@example.com", password="password-1")
    with pytest.raises(Forbidden):
        await core.handoffs.take_over(conversation_id=cid, agent=alice)
    await core.accounts.reactivate(account_id=alice.id, by=admin)
    assert await core.accounts.authenticate(email="alice@example.com", password="password-1")


async def test_a_reset_password_works_once_shown_and_the_old_one_stops(
    core: Core, admin: AgentRef, alice: AgentRef
) -> None:
    new = await core.accounts.reset_password(account_id=alice.id, by=admin)
    with pytest.raises(Unauthorized):
        await core.accounts.authenticate(email="alice@example.com", password="password-1")
    assert (await core.accounts.authenticate(email="alice@example.com", password=new)).id == alice.id


async def test_an_agent_changes_their_own_name_and_password_and_preferences(
    core: Core, alice: AgentRef
) -> None:
    with pytest.raises(Invalid) as refused:
        await core.accounts.change_password(agent=alice, current="wrong-one", new="password-2")
    assert refused.value.field == "current_password"
    with pytest.raises(Invalid) as refused:
        await core.accounts.change_password(agent=alice, current="password-1", new="short")
    assert refused.value.field == "new_password"
    await core.accounts.change_password(agent=alice, current="password-1", new="password-2")
    assert await core.accounts.authenticate(email="alice@example.com", password="password-2")
    renamed = await core.accounts.rename(agent=alice, name="  Alice B.  ")
    assert renamed.display_name == "Alice B."
    preferences = await core.accounts.preferences(alice.id)
    assert preferences.sound and preferences.alert_kinds == (
        "thumbs_down",
        "non_answer",
        "negative_feedback",
        "help_requested",
    )
    saved = await core.accounts.set_preferences(
        agent=alice,
        preferences=replace(preferences, sound=False, volume=3.0, alert_kinds=("help_requested",)),
    )
    assert (saved.sound, saved.volume, saved.alert_kinds) == (False, 1.0, ("help_requested",))
    assert await core.accounts.preferences(alice.id) == saved


async def test_team_changes_land_in_the_audit_log_with_who_and_what(
    core: Core, admin: AgentRef, alice: AgentRef
) -> None:
    await core.accounts.set_role(account_id=alice.id, role="admin", by=admin)
    (entry,) = await audit_entries(core, "role_changed")
    assert entry.account_id == admin.id
    assert entry.details == {"target_account_id": alice.id, "role": {"before": "agent", "after": "admin"}}


async def test_knowledge_needs_a_folder_and_a_service(core: Core, shop: str, admin: AgentRef) -> None:
    with pytest.raises(Invalid):  # "shop" of the plain fixture answers with a bot: no folder
        await core.knowledge.open(slug="shop", agent=admin)
    with pytest.raises(NotFound):
        await core.knowledge.open(slug="nowhere", agent=admin)
