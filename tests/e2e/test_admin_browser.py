"""The admin console where it needs a browser: the unsaved-changes guard (in-page dialog and the browser's
own prompt), a change reaching another admin's pages live, a deactivated agent's page signed out at once,
and the newcomer's whole path: a service, its knowledge, a customer answered from it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import BROWSER_TESTS, agent_page, new_page, seeded_server
from tests.support import Server

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    agents = [("ada@example.com", "Ada", True), ("eve@example.com", "Eve", True)]
    agents += [("bob@example.com", "Bob", False), ("cy@example.com", "Cy", False)]
    folder = tmp_path_factory.mktemp("admin")
    server = seeded_server(folder, services=[("shop", "Web Shop")], agents=agents).start()
    yield server
    server.stop()


def test_leaving_with_unsaved_edits_asks_first(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    page = agent_page(browser, contexts, server, "ada@example.com", "/services/shop")
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_disabled()
    page.get_by_label("Name", exact=True).fill("Web Shop (EU)")
    expect(save).to_be_enabled()
    page.wait_for_function("window.handoffGuard.dirty === true")

    page.get_by_role("link", name="Team").click()  # a header link asks in the page
    guard = page.get_by_test_id("unsaved-changes")
    expect(guard).to_be_visible()
    expect(guard).to_contain_text("You have unsaved changes")
    guard.get_by_role("button", name="Stay").click()
    expect(guard).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/services/shop$"))
    expect(page.get_by_label("Name", exact=True)).to_have_value("Web Shop (EU)")

    with page.expect_event("dialog") as prompt:  # a reload gets the browser's own prompt
        page.evaluate("() => setTimeout(() => location.reload(), 0)")
    assert prompt.value.type == "beforeunload"
    prompt.value.dismiss()  # "Cancel": stay
    expect(page.get_by_label("Name", exact=True)).to_have_value("Web Shop (EU)")

    page.get_by_role("link", name="Team").click()
    page.get_by_test_id("unsaved-changes").get_by_role("button", name="Leave").click()
    expect(page).to_have_url(re.compile(r"/team$"))


def test_a_change_reaches_another_admins_pages_live(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com", "/services/shop")
    eve_settings = agent_page(browser, contexts, server, "eve@example.com", "/services/shop")
    eve_screen = agent_page(browser, contexts, server, "eve@example.com", "/handoff")
    eve_list = agent_page(browser, contexts, server, "eve@example.com", "/services")

    ada.get_by_label("Name", exact=True).fill("Web Shop Europe")
    ada.get_by_role("button", name="Human Only").click()
    ada.get_by_role("button", name="Save", exact=True).click()

    expect(eve_settings.get_by_label("Name", exact=True)).to_have_value("Web Shop Europe")
    expect(eve_screen.get_by_test_id("service-shop")).to_contain_text("Web Shop Europe")
    expect(eve_screen.get_by_test_id("service-shop")).to_have_attribute("data-mode", "human_only")
    expect(eve_list.locator("[data-testid=service-row][data-slug=shop]")).to_contain_text("Web Shop Europe")
    expect(eve_list.locator("[data-testid=service-row][data-slug=shop]")).to_contain_text("Human Only")


def test_a_deactivated_agents_open_pages_are_signed_out_at_once(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    cy = agent_page(browser, contexts, server, "cy@example.com", "/handoff")
    ada = agent_page(browser, contexts, server, "ada@example.com", "/team")
    row = ada.locator("[data-testid=account-row][data-email='cy@example.com']")
    row.get_by_role("button", name="Deactivate").click()
    ada.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    expect(row).to_have_attribute("data-active", "false")
    expect(cy).to_have_url(re.compile(r"/login"))
    cy.goto(server.url + "/handoff")  # the old cookie opens nothing
    expect(cy).to_have_url(re.compile(r"/login"))
    cy.get_by_label("Email").fill("cy@example.com")
    cy.get_by_label("Password").fill("password-1")
    cy.get_by_role("button", name="Log in").click()
    expect(cy.get_by_text("Wrong email or password.")).to_be_visible()


def test_a_newcomer_creates_a_service_writes_its_knowledge_and_a_customer_is_answered(
    browser: Browser, contexts: list[BrowserContext], server: Server
) -> None:
    ada = agent_page(browser, contexts, server, "ada@example.com", "/services")
    ada.get_by_role("button", name="New service").click()
    ada.get_by_label("Name", exact=True).fill("Bike Repairs")
    expect(ada.get_by_label("Slug")).to_have_value("bike-repairs")
    ada.get_by_test_id("new-service").get_by_role("button", name="Save").click()
    expect(ada).to_have_url(re.compile(r"/services/bike-repairs$"))

    ada.get_by_role("link", name="Knowledge").click()
    ada.get_by_role("button", name="Add question").click()
    ada.get_by_label("Specialist agent").fill("Workshop")
    ada.get_by_label("Question", exact=True).fill("How long does a repair take?")
    ada.get_by_label("Answer").fill("Most repairs are ready in two working days.")
    ada.get_by_test_id("knowledge-editor").get_by_role("button", name="Save").click()
    expect(ada.get_by_test_id("specialist-agent")).to_contain_text("Workshop")

    ada.get_by_label("Question to try").fill("how long will my repair take")
    ada.get_by_role("button", name="Try a question").click()
    expect(ada.get_by_test_id("try-result")).to_contain_text("two working days")

    customer = new_page(browser, contexts)
    customer.goto(server.url + "/chat/bike-repairs")
    customer.get_by_test_id("chat-input").fill("How long does a repair take?")
    customer.get_by_role("button", name="Send").click()
    expect(customer.locator("[data-testid=message][data-role=ai]")).to_contain_text("two working days")
