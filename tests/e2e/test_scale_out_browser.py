"""Two `main.py serve` processes on one PostgreSQL database and one Redis, behind HAProxy with the example
configuration (deploy/haproxy.cfg): one console, whichever process a page is on.

Skips with the reason when PostgreSQL, Redis, HAProxy or Chromium is absent (`make test` installs HAProxy and
Chromium from Debian's packages; this machine runs PostgreSQL and Redis).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, expect
from redis.exceptions import RedisError

from tests.conftest import create_postgres_database, drop_postgres_database
from tests.e2e.conftest import BROWSER_TESTS, agent_page, card, new_conversation
from tests.support import HAPROXY, REDIS_URL, Balancer, Server, agent_add_args, run_cli_each, run_in_thread

pytestmark = [
    *BROWSER_TESTS,
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which(HAPROXY) is None, reason=f"no HAProxy at {HAPROXY} (make test installs it)"
    ),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server, Balancer]]:
    """Two processes (Web Shop; agents Ada, an admin, and Bob) and the balancer in front of them."""
    try:
        probe = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        probe.ping()
    except (RedisError, OSError) as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    name = f"handoff_test_{uuid.uuid4().hex[:12]}"
    url = run_in_thread(create_postgres_database(name))
    folder = tmp_path_factory.mktemp("scale-out")
    prefix = f"handoff-test-{uuid.uuid4().hex[:10]}:"
    env = {
        "HANDOFF_REDIS_URL": REDIS_URL,
        "HANDOFF_REDIS_KEY_PREFIX": prefix,
        "HANDOFF_KNOWLEDGE_ROOT": str(folder / "knowledge"),
        "HANDOFF_TRUSTED_PROXIES": "127.0.0.1",
        "HANDOFF_SAMPLE_DATA": "false",
    }
    servers: list[Server] = []
    balancer: Balancer | None = None
    try:
        commands = [
            ["service", "add", "--slug", "shop", "--name", "Web Shop"],
            agent_add_args("ada@example.com", "Ada", admin=True),
            agent_add_args("bob@example.com", "Bob"),
        ]
        run_cli_each(url, commands, **env)
        for label in ("one", "two"):
            server = Server(url, folder / f"server-{label}.log", **env)
            server.env["NICEGUI_STORAGE_PATH"] = str(
                folder / f"nicegui-{label}"
            )  # its own disk; shared Redis
            servers.append(server.start())
        balancer = Balancer(servers[0], servers[1], folder / "haproxy.log").start()
        yield servers[0], servers[1], balancer
    finally:
        if balancer is not None:
            balancer.stop()
        for server in servers:
            server.stop()
        run_in_thread(drop_postgres_database(name))
        keys = list(probe.scan_iter(match=prefix + "*"))
        if keys:
            probe.delete(*keys)
        probe.close()


def test_a_page_on_one_process_follows_what_happens_through_the_other(
    cluster: tuple[Server, Server, Balancer], browser: Browser, contexts: list[BrowserContext]
) -> None:
    one, two, _ = cluster
    ada = agent_page(browser, contexts, one, "ada@example.com")
    bob = agent_page(browser, contexts, two, "bob@example.com")
    active = int(ada.get_by_test_id("stat-active").inner_text())
    # A customer writes through the second process: the card shows on a page of the first ...
    cid, _token = new_conversation(two, "I want to talk to a human, this is useless")
    for page in (ada, bob):
        expect(card(page, cid)).to_have_attribute("data-attention", "true")
        expect(page.get_by_test_id("stat-active")).to_have_text(str(active + 1))
    # ... an agent on the first takes it over: the second process's page shows it held, no longer waiting ...
    card(ada, cid).click()
    ada.get_by_test_id("take-over").click()
    expect(ada.get_by_test_id("send")).to_be_visible()
    expect(card(bob, cid)).to_have_attribute("data-status", "paused")
    expect(card(bob, cid)).to_have_attribute("data-attention", "false")
    for key in ("active", "attention", "paused"):
        expect(bob.get_by_test_id(f"stat-{key}")).to_have_text(ada.get_by_test_id(f"stat-{key}").inner_text())
    # ... and a mode change made on the second reaches the first.
    admin = agent_page(browser, contexts, two, "ada@example.com")
    admin.get_by_test_id("service-shop").get_by_role("button", name="Human Only").click()
    expect(ada.get_by_test_id("service-shop")).to_have_attribute("data-mode", "human_only")


def test_a_browser_whose_process_dies_is_back_through_the_balancer_signed_in_and_live(
    cluster: tuple[Server, Server, Balancer], browser: Browser, contexts: list[BrowserContext]
) -> None:
    one, two, balancer = cluster
    page = agent_page(browser, contexts, balancer, "bob@example.com")
    opened, _token = new_conversation(balancer, "My order arrived broken")
    card(page, opened).click()  # the agent is reading it when the process dies
    expect(page.get_by_test_id("conversation-panel")).to_contain_text("My order arrived broken")
    expect(page).to_have_url(f"{balancer.url}/handoff?conversation={opened}")
    held_by = {c["name"]: c["value"] for c in page.context.cookies()}["HANDOFF_PROCESS"]
    victim, survivor = (one, two) if held_by == "one" else (two, one)
    page.evaluate("window.__before_the_kill = true")  # gone once the page is loaded anew
    victim.kill()  # SIGKILL: no goodbye to the browser, to Redis or to the balancer
    try:
        # The page notices its process is gone, and the survivor, not knowing it, has it load again: until
        # then the status dot still says connected (the socket's end is not heard at once).
        page.wait_for_function("window.__before_the_kill === undefined", timeout=30_000)
        expect(page.get_by_test_id("connection-status")).to_have_attribute(
            "data-state", "connected", timeout=30_000
        )
        # Not sent to /login (still signed in), and the same conversation open again.
        expect(page).to_have_url(f"{balancer.url}/handoff?conversation={opened}")
        expect(page.get_by_test_id("conversation-panel")).to_contain_text("My order arrived broken")
        expect(page.get_by_test_id("stat-active")).to_be_visible()
        moved = {c["name"]: c["value"] for c in page.context.cookies()}["HANDOFF_PROCESS"]
        assert moved != held_by
        cid, _token = new_conversation(survivor, "Where is my parcel? I want to talk to a human")
        expect(card(page, cid)).to_be_visible()
        assert httpx.get(f"{balancer.url}/healthz").status_code == 200
    finally:
        victim.start()  # the module's other tests (and its teardown) find both processes
