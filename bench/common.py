"""What the benchmarks share: a seeded server, logging in, the browser's flags."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import Page
from sqlalchemy import update

from handoff.conversations import Location
from handoff.core import Core
from handoff.settings import Settings
from models.tables import AttentionFlag
from tests.conftest import scratch_postgres_database
from tests.support import AGENT_PASSWORD, ROOT, Server, add_agent, free_port, run_in_thread, server_env

VIEWPORT = {"width": 1400, "height": 900}  # every console and floor page the benchmarks open
CITIES = [("Berlin", "Berlin"), ("Lyon", "Auvergne-Rhône-Alpes"), ("Austin", "Texas"), ("Osaka", "Osaka")]


@dataclass(frozen=True)
class Seeded:
    """What the seed made: every conversation's token and service, which ones are flagged, and the one every
    console page shows among its first cards (the newest flagged one)."""

    tokens: dict[str, str]
    services: dict[str, str]
    flagged: list[str]  # oldest first

    @property
    def watched(self) -> tuple[str, str]:
        return self.flagged[-1], self.tokens[self.flagged[-1]]


WAITS_OVER_SECONDS = 1800.0


async def seed(url: str, count: int) -> Seeded:
    """`count` live conversations over two services, one in ten flagged, in both services alike (so red cards
    lead both groups, on screen, as in a real console). The flagged customers started waiting over the last
    WAITS_OVER_SECONDS, evenly, newest last: seeded in a few seconds, they all came due for their reminders at
    the same tick (100 reminders on every page at 60 s and 180 s after seeding), which landed in some rounds
    of a benchmark and not in others; spread like this a page is reminded every few seconds, as a busy
    console is."""
    core = Core.create(Settings(database_url=url, sqlite_synchronous="OFF"))
    await core.start()
    for slug in ("shop", "bank"):
        await core.services.add(slug=slug, name=slug.title())
    tokens: dict[str, str] = {}
    services: dict[str, str] = {}
    flagged: list[str] = []
    for i in range(count):
        city, region = CITIES[i % len(CITIES)]
        slug = "shop" if i % 2 else "bank"
        started = await core.conversations.start(
            service_slug=slug,
            text=f"Question {i}: where is my order?",
            location=Location(city=city, region=region, country="XX"),
        )
        conversation_id = started.conversation.id
        tokens[conversation_id], services[conversation_id] = started.token, slug
        if i % 20 in (0, 5):  # 0: "bank", 5: "shop"
            await core.conversations.request_human(conversation_id=conversation_id)
            flagged.append(conversation_id)
    now = datetime.now(UTC)
    async with core.db.write() as session:
        for number, conversation_id in enumerate(flagged):
            waited = WAITS_OVER_SECONDS * (len(flagged) - number) / len(flagged)
            await session.execute(
                update(AttentionFlag)
                .where(AttentionFlag.conversation_id == conversation_id)
                .values(opened_at=now - timedelta(seconds=waited))
            )
    await core.stop()
    return Seeded(tokens, services, flagged)


@contextlib.contextmanager
def seeded_server(count: int, **env: str) -> Iterator[tuple[Server, Seeded]]:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        seeded = run_in_thread(seed(url, count))  # its own event loop, whatever runs here (Playwright)
        add_agent(url, "ada@example.com", "Ada", admin=True)
        server = Server(url, Path(scratch) / "server.log", **env).start()
        try:
            yield server, seeded
        finally:
            server.stop()


def log_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/handoff")


def wait_healthy(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} not healthy")


@contextlib.contextmanager
def floor_server(board: Path | None = None) -> Iterator[str]:
    """The floor app (bench/floor_app.py) on a free port, with its /board page when given a board; yields its
    URL."""
    port = free_port()
    board_argument = [str(board)] if board else []
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("floor_app.py")), str(port), *board_argument],
        cwd=ROOT,
        env=server_env("sqlite+aiosqlite:///unused.db"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def on_each_backend(
    backends: Iterable[str] | None, measure: Callable[[str, Path], Awaitable[dict[str, object]]]
) -> dict[str, object]:
    """`measure(database_url, scratch_folder)` on a new SQLite file and on a new PostgreSQL database (or on
    the `backends` named), its figures printed and returned by backend."""
    result: dict[str, object] = {}
    for backend in backends or ("sqlite", "postgres"):
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            if backend == "sqlite":
                figures = await measure(f"sqlite+aiosqlite:///{folder / 'bench.db'}", folder)
            else:
                async with scratch_postgres_database() as url:
                    figures = await measure(url, folder)
        print(f"{backend}: {figures}", flush=True)
        result[backend] = figures
    return result


def errors_in(log: str) -> int:
    """Lines of a server's log that tell of an error."""
    words = ("Traceback", " ERROR ", "Exception")
    return sum(1 for line in log.splitlines() if any(word in line for word in words))
