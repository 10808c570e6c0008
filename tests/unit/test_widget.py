"""The chat widget's rules in the core: allowed origins as browsers send them, its look, signed identities,
and who may frame the embedded chat."""

from __future__ import annotations

from dataclasses import replace

import pytest

from handoff.core import Core
from handoff.errors import Forbidden, Invalid, NotFound
from handoff.views import AgentRef
from handoff.widget import NOT_SIGNED, check_color, check_greeting, check_origins, sign, snippet
from handoff_ui import STATIC
from models import Conversation


@pytest.mark.parametrize(
    ("given", "origins"),
    [
        (["https://Shop.Example.com/"], ("https://shop.example.com",)),
        (
            ["https://shop.example.com:443", "http://shop.example.com:80"],
            ("https://shop.example.com", "http://shop.example.com"),
        ),
        (["http://localhost:8000", " ", "http://localhost:8000/"], ("http://localhost:8000",)),
        (["http://[::1]:8080", "http://127.0.0.1:9000"], ("http://[::1]:8080", "http://127.0.0.1:9000")),
        ([], ()),
    ],
)
def test_origins_are_written_as_a_browser_sends_them(given: list[str], origins: tuple[str, ...]) -> None:
    assert check_origins(given) == origins


@pytest.mark.parametrize(
    "bad",
    [
        "shop.example.com",  # no scheme
        "ftp://shop.example.com",
        "https://shop.example.com/cart",  # a path: an origin has none
        "https://shop.example.com?x=1",
        "https://*.example.com",
        "https://user:pw@shop.example.com",
        "https://shop.example.com:99999",
        "https://shop example.com",
        "https://shop.example.com; script-src *",  # would add a directive to frame-ancestors' header
        "https://shop.example.com'",
        "https://",
    ],
)
def test_anything_else_is_refused_at_its_field(bad: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_origins([bad])
    assert refused.value.field == "allowed_origins"


def test_at_most_twenty_origins() -> None:
    assert len(check_origins([f"https://s{i}.example.com" for i in range(20)])) == 20
    with pytest.raises(Invalid):
        check_origins([f"https://s{i}.example.com" for i in range(21)])


def test_colour_and_greeting() -> None:
    assert check_color(" #00AA55 ") == "#00aa55"
    assert check_color("") is None and check_greeting("  ") is None
    for bad in ("00aa55", "#0a5", "red", "#00aa55; background:url(x)"):
        with pytest.raises(Invalid):
            check_color(bad)
    assert check_greeting(" Hi! ") == "Hi!"
    with pytest.raises(Invalid):
        check_greeting("x" * 301)
    with pytest.raises(Invalid):
        check_greeting("a\x00b")


def test_the_snippet_is_one_line_with_the_servers_address() -> None:
    assert snippet("https://handoff.example.com/", "shop") == (
        '<script src="https://handoff.example.com/widget.js" data-service="shop" async></script>'
    )


async def settings(core: Core, admin: AgentRef, **changes: object) -> str | None:
    service = await core.services.get("shop")
    now = core.services.settings_of(service)
    update = await core.services.update(slug="shop", settings=replace(now, **changes), agent=admin)
    return update.new_identity_secret


async def test_identities_are_taken_as_given_until_the_service_requires_signatures(
    core: Core, shop: str, admin: AgentRef
) -> None:
    anonymous = await core.widget.identity("shop")
    assert (anonymous.name, anonymous.external_id, anonymous.verified) == (None, None, False)
    given = await core.widget.identity("shop", name=" Ada ", external_id="c-1")
    assert (given.name, given.external_id, given.verified) == ("Ada", "c-1", False)
    with pytest.raises(Invalid):
        await core.widget.identity("shop", name=["not", "text"])
    with pytest.raises(Invalid):
        await core.widget.identity("shop", external_id="x" * 201)

    secret = await settings(core, admin, signed_identity=True)
    assert secret is not None and len(secret) >= 40
    assert await settings(core, admin, signed_identity=True) is None  # made once, shown once
    assert (await core.widget.identity("shop")).verified is False  # an anonymous customer is still welcome
    for name, external, signature in [
        ("Eve", None, None),  # a name alone would let anyone pose under another's name
        ("Eve", "c-1", None),
        ("Eve", "c-1", sign("not the secret", "c-1")),
        ("Eve", "c-1", sign(secret, "c-2")),  # another customer's signature
        ("Eve", "c-1", 42),
    ]:
        with pytest.raises(Forbidden) as refused:
            await core.widget.identity("shop", name=name, external_id=external, signature=signature)
        assert str(refused.value) == NOT_SIGNED
    signed = await core.widget.identity("shop", name="Ada", external_id="c-1", signature=sign(secret, "c-1"))
    assert (signed.name, signed.external_id, signed.verified) == ("Ada", "c-1", True)
    upper = sign(secret, "c-1").upper()
    assert (await core.widget.identity("shop", external_id="c-1", signature=upper)).verified

    rotated = await core.services.rotate_identity_secret(slug="shop", agent=admin)
    with pytest.raises(Forbidden):
        await core.widget.identity("shop", external_id="c-1", signature=sign(secret, "c-1"))
    assert (await core.widget.identity("shop", external_id="c-1", signature=sign(rotated, "c-1"))).verified


async def test_only_an_admin_changes_the_widget_or_rotates_its_secret(
    core: Core, shop: str, admin: AgentRef
) -> None:
    agent = await core.accounts.add(email="bo@example.com", name="Bo", password="password-1", admin=False)
    with pytest.raises(Forbidden):
        await settings(core, agent, allowed_origins=("https://shop.example.com",))
    with pytest.raises(Forbidden):
        await core.services.rotate_identity_secret(slug="shop", agent=agent)
    assert (await core.services.get("shop")).allowed_origins == ()


async def test_only_the_allowed_origins_may_frame_a_live_services_chat(
    core: Core, shop: str, admin: AgentRef
) -> None:
    assert await core.widget.frame_ancestors("shop") == ()
    await settings(core, admin, allowed_origins=("https://shop.example.com/", "http://localhost:8000"))
    assert await core.widget.frame_ancestors("shop") == ("https://shop.example.com", "http://localhost:8000")
    embedding = await core.widget.embedding("shop")
    assert embedding.allows("https://SHOP.example.com") and not embedding.allows("https://evil.example.com")
    assert not embedding.allows(None)
    assert await core.widget.frame_ancestors("nothing") == ()
    await core.services.archive(slug="shop", agent=admin)
    assert await core.widget.frame_ancestors("shop") == ()
    with pytest.raises(NotFound):
        await core.widget.embedding("shop")


async def test_identify_names_the_customer_of_a_conversation_under_way(core: Core, shop: str) -> None:
    started = await core.conversations.start(service_slug="shop", text="Where is my parcel?")
    card = await core.conversations.identify(
        conversation_id=started.conversation.id, name="Grace Hopper", external_id="c-42"
    )
    assert card.customer_name == "Grace Hopper"
    async with core.db.read() as session:
        stored = await session.get(Conversation, started.conversation.id)
        assert stored is not None and stored.customer_external_id == "c-42"
    kept = await core.conversations.identify(
        conversation_id=started.conversation.id, name=None, external_id=None
    )
    assert kept.customer_name == "Grace Hopper"


def test_the_widget_script_stays_small() -> None:
    """The issue's budget for what every page of a customer's site loads: under 15 kB, as served."""
    assert (STATIC / "widget.js").stat().st_size < 15_000
