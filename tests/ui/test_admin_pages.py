"""The admin console through NiceGUI's User: every form, its validation, its Save, and the admin-only rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from handoff.core import Core
from handoff.errors import Forbidden
from handoff.views import AgentRef
from handoff.widget import sign
from handoff_ui.components.page import ONLY_ADMINS
from handoff_ui.live import Live
from tests.support import ai_reply
from tests.ui.conftest import log_in
from tests.ui.test_console import until


def button(user: User, text: str) -> ui.button:
    (found,) = [b for b in user.find(kind=ui.button, content=text).elements if b.text == text]
    return found


def click(user: User, text: str) -> None:
    user.find(kind=ui.button, content=text).click()


def by_test_id(user: User, test_id: str) -> list[ui.element]:
    return [e for e in user.find(kind=ui.element).elements if e.props.get("data-testid") == test_id]


def field(user: User, label: str) -> ui.input:
    """The input (or number, or textarea) labelled exactly `label`."""
    (found,) = [
        e
        for e in user.find(label).elements
        if isinstance(e, ui.input | ui.number) and e.props.get("label") == label
    ]
    return found  # type: ignore[return-value]


def typed(user: User, label: str, text: str, *, clear: bool = False) -> None:
    """Type into the input labelled `label`, as a user does (after clearing it, with `clear`)."""
    element = field(user, label)
    with user.client:  # type: ignore[union-attr]
        if clear:
            element.value = None
        element.value = float(text) if isinstance(element, ui.number) else (element.value or "") + text


@pytest.mark.parametrize(
    "path", ["/services", "/services/shop", "/services/shop/knowledge", "/team", "/audit"]
)
async def test_an_agent_who_is_not_an_admin_sees_none_of_an_admin_page(
    user: User, console: tuple[Core, Live], path: str
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Secret Shop", answered_by="knowledge")
    await log_in(user, core, admin=False)
    await user.open(path)
    await user.should_see(ONLY_ADMINS)
    await user.should_not_see("Secret Shop")
    await user.should_not_see("Save")
    await user.should_not_see("Services", kind=ui.link)  # the header links only what the reader may open


async def test_a_new_service_is_validated_at_its_fields_then_opens_its_settings(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    await log_in(user, core)
    await user.open("/services")
    await user.should_see("Web Shop")
    click(user, "New service")
    save = button(user, "Save")
    assert not save.enabled  # nothing typed yet
    typed(user, "Name", "Repairs & Returns")
    assert field(user, "Slug").value == "repairs-returns"  # suggested from the name
    assert save.enabled
    typed(user, "Slug", "Repairs!", clear=True)
    click(user, "Save")
    await until(lambda: bool(field(user, "Slug").error))
    assert "lowercase letters" in (field(user, "Slug").error or "")
    typed(user, "Slug", "shop", clear=True)
    click(user, "Save")
    await until(lambda: "already exists" in (field(user, "Slug").error or ""))
    typed(user, "Slug", "repairs", clear=True)
    click(user, "Save")
    await user.should_see("Who answers", retries=50)  # the new service's settings page
    service = await core.services.get("repairs")
    assert (service.name, core.services.answered_by(service)) == ("Repairs & Returns", "knowledge")


async def test_service_settings_save_only_changes_and_preview_the_threshold(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop", answered_by="knowledge")
    for text in ("Where is my order?", "This is useless and I am angry", "meh, not great"):
        await core.conversations.start(service_slug="shop", text=text)
    await log_in(user, core)
    await user.open("/services/shop")
    await user.should_see("Negative Feedback threshold")
    (preview,) = by_test_id(user, "threshold-preview")
    await until(lambda: "of the last 3 customer messages" in preview.text)
    at_default = preview.text
    save = button(user, "Save")
    assert not save.enabled
    typed(user, "Negative Feedback threshold", "-0.95", clear=True)
    await until(lambda: preview.text != at_default and preview.text.startswith("At -0.95"))
    typed(user, "Name", "Our Shop", clear=True)
    typed(user, "Remind after (seconds)", "120", clear=True)
    assert save.enabled
    click(user, "Save")
    await until(lambda: not save.enabled)
    service = await core.services.get("shop")
    assert (service.name, service.negative_threshold, service.remind_after_seconds) == (
        "Our Shop",
        -0.95,
        120,
    )
    typed(user, "Remind after (seconds)", "5", clear=True)
    click(user, "Save")
    await until(lambda: bool(field(user, "Remind after (seconds)").error))
    assert (await core.services.get("shop")).remind_after_seconds == 120
    click(user, "Cancel")
    assert field(user, "Remind after (seconds)").value == 120 and not save.enabled


async def test_an_admin_writes_knowledge_and_the_ai_answers_from_it(
    user: User, console: tuple[Core, Live], tmp_path: Path
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop", knowledge_dir=str(tmp_path / "shop"))
    await log_in(user, core)
    await user.open("/services/shop/knowledge")
    await user.should_see("No knowledge yet")
    click(user, "Add question")
    typed(user, "Specialist agent", "Returns")
    typed(user, "Question", "How do I return an item?")
    typed(user, "Answer", "Print the label under Account > Returns.")
    click(user, "Save")
    await user.should_see("1 questions · returns.md", retries=50)
    assert (tmp_path / "shop" / "returns.md").read_text(encoding="utf-8").startswith("# Returns\n")
    typed(user, "Question to try", "how can I return an item")
    click(user, "Try a question")
    (result,) = by_test_id(user, "try-result")
    await user.should_see("Print the label under Account > Returns.", retries=50)
    typed(user, "Question to try", "Do you sell gift cards?", clear=True)
    click(user, "Try a question")
    await until(
        lambda: any(
            label.text == "Non-Answer" for label in result.descendants() if isinstance(label, ui.label)
        )
    )


async def test_team_adds_an_agent_with_errors_at_the_field_and_deactivates_them(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    admin = await log_in(user, core)
    await user.open("/team")
    await user.should_see("ada@example.com")
    click(user, "Add agent")
    typed(user, "Email", "bo@example.com")
    typed(user, "Name", "Bo")
    typed(user, "Password", "short")
    click(user, "Save")
    await until(lambda: "at least 8 characters" in (field(user, "Password").error or ""))
    typed(user, "Password", "-and-longer")
    click(user, "Save")
    await user.should_see("Shown only once: copy it now.", retries=50)
    bo = next(a for a in await core.accounts.all(by=admin) if a.email == "bo@example.com")
    assert await core.accounts.authenticate(email="bo@example.com", password="short-and-longer")
    rows = [row for row in by_test_id(user, "account-row") if row.props["data-email"] == "bo@example.com"]
    assert len(rows) == 1
    await core.accounts.deactivate(account_id=bo.id, by=admin)
    await until(
        lambda: any(
            row.props["data-email"] == "bo@example.com" and row.props["data-active"] == "false"
            for row in by_test_id(user, "account-row")
        )
    )


async def test_an_agent_renames_themselves_and_keeps_their_preferences(
    user: User, console: tuple[Core, Live]
) -> None:
    core, _ = console
    agent: AgentRef = await log_in(user, core, admin=False)
    await user.open("/account")
    save = button(user, "Save")
    assert not save.enabled
    typed(user, "Name", "Ada L.", clear=True)
    user.find("Sound").click()
    click(user, "Save")
    await until(lambda: not save.enabled)
    assert (await core.accounts.get(agent.id)).display_name == "Ada L."  # type: ignore[union-attr]
    assert not (await core.accounts.preferences(agent.id)).sound


async def test_an_unanswered_question_becomes_an_answer_from_its_row(
    user: User, console: tuple[Core, Live], tmp_path: Path
) -> None:
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop", knowledge_dir=str(tmp_path / "shop"))
    assert (await ai_reply(core, "Do you sell gift cards?"))[1] is False
    await log_in(user, core)
    await user.open("/services/shop/knowledge")
    (row,) = by_test_id(user, "unanswered-question")
    await user.should_see("asked once")
    assert any(isinstance(e, ui.button) and e.text == "Add an answer" for e in row.descendants())
    user.find(kind=ui.button, content="Add an answer").click()
    assert field(user, "Question").value == "Do you sell gift cards?"  # pre-filled
    typed(user, "Specialist agent", "Sales")
    typed(user, "Answer", "Yes, from 10 to 200 euros.")
    click(user, "Save")
    await until(lambda: not by_test_id(user, "unanswered-question"))
    await user.should_see("None: every question customers asked has an answer.")


async def test_retention_says_what_it_would_delete_and_asks_first(
    user: User, console: tuple[Core, Live]
) -> None:
    from datetime import timedelta

    from models import Conversation

    core, _ = console
    await core.services.add(slug="shop", name="Web Shop")
    cid = (await core.conversations.start(service_slug="shop", text="old")).conversation.id
    await core.conversations.end(conversation_id=cid)
    async with core.db.write() as session:
        conversation = await session.get(Conversation, cid)
        assert conversation is not None and conversation.ended_at is not None
        conversation.ended_at -= timedelta(days=400)
    await log_in(user, core)
    await user.open("/settings")
    await user.should_see("Nothing is deleted.")
    user.find("Delete after").click()
    await user.should_see("1 ended conversation is older than 365 days and would be deleted.")
    click(user, "Save")
    await user.should_see("Delete 1 ended conversation?")
    click(user, "Delete and save")
    await user.should_see("0 ended conversations are older than 365 days", retries=50)
    assert await core.retention.days() == 365


async def test_the_chat_widget_is_set_up_on_the_service_page(user: User, console: tuple[Core, Live]) -> None:
    """The snippet to paste, the sites that may show it (checked, written as browsers send them), its look,
    and signed identities: the secret shown once on turning them on, a rotation that retires the old one."""
    core, _ = console
    await core.services.add(slug="shop", name="Web Shop", answered_by="knowledge")
    await log_in(user, core)
    await user.open("/services/shop")
    await user.should_see("Chat widget")
    (code,) = [e for e in by_test_id(user, "widget-snippet") if isinstance(e, ui.label)]
    assert code.text.endswith('/widget.js" data-service="shop" async></script>')
    assert code.text.startswith('<script src="http')
    assert not [
        b for b in user.find(kind=ui.button).elements if b.text == "Rotate identity secret" and b.visible
    ]

    typed(user, "Allowed origins (one per line)", "shop.example.com")
    click(user, "Save")
    await until(lambda: "is not an origin" in (field(user, "Allowed origins (one per line)").error or ""))
    assert (await core.services.get("shop")).allowed_origins == ()

    typed(
        user,
        "Allowed origins (one per line)",
        "https://Shop.Example.com:443/\nhttp://localhost:8000",
        clear=True,
    )
    (color,) = user.find(kind=ui.color_input).elements
    (signed,) = [s for s in user.find(kind=ui.switch).elements if s.text == "Require signed identity"]
    with user.client:  # type: ignore[union-attr]
        color.value = "#00AA55"
        signed.value = True
    typed(user, "Greeting", "Hi! Ask the shop anything.")
    click(user, "Save")
    await user.should_see("Shown only once: copy it now.", retries=50)
    (secret,) = [e for e in by_test_id(user, "secret") if isinstance(e, ui.label)]
    first_secret = secret.text
    service = await core.services.get("shop")
    assert service.allowed_origins == ("https://shop.example.com", "http://localhost:8000")
    assert (service.widget_color, service.widget_greeting, service.signed_identity) == (
        "#00aa55",
        "Hi! Ask the shop anything.",
        True,
    )
    who = await core.widget.identity(
        "shop", name="Ada", external_id="c-1", signature=sign(first_secret, "c-1")
    )
    assert who.verified
    click(user, "Done")

    rotate = button(user, "Rotate identity secret")
    await until(lambda: rotate.visible)
    click(user, "Rotate identity secret")
    await user.should_see("Rotate the identity secret?", retries=50)
    user.find(marker="confirm-action").click()
    await user.should_see("The widget's new identity secret", retries=50)
    (secret,) = [  # the first dialog is closed (a browser deletes it as it hides: the simulated one doesn't)
        e for e in by_test_id(user, "secret") if isinstance(e, ui.label) and e.text != first_secret
    ]
    with pytest.raises(Forbidden):
        await core.widget.identity("shop", name="Ada", external_id="c-1", signature=sign(first_secret, "c-1"))
    assert (
        await core.widget.identity("shop", external_id="c-1", signature=sign(secret.text, "c-1"))
    ).verified
