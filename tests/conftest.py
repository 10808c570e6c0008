"""Shared fixtures: a started core on a real SQLite file, accounts, a service, and the API client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from detection.defaults import default_detectors
from handoff.api import create_app
from handoff.core import Core
from handoff.settings import Settings
from handoff.views import AgentRef
from tests.receiver import Receiver
from tests.support import POSTGRES_URL

pytest_plugins = ["nicegui.testing.user_plugin"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API leaves an event loop running behind it. With `make test`'s
    two pytest-xdist workers this still holds for each: a worker is handed tests in this order."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """ "sqlite" unless a test parametrizes it (indirect) with "postgres"."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def settings(tmp_path: Path, backend: str) -> AsyncIterator[Settings]:
    if backend == "sqlite":
        # synchronous FULL, the default, as users run it: every write waits for its flush
        yield Settings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}",
            knowledge_root=str(tmp_path / "knowledge"),
        )
        return
    async with scratch_postgres_database() as url:
        yield Settings(database_url=url, knowledge_root=str(tmp_path / "knowledge"))


@asynccontextmanager
async def scratch_postgres_database() -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards; skips when PostgreSQL is absent."""
    name = f"handoff_test_{uuid.uuid4().hex[:12]}"
    try:
        yield await create_postgres_database(name)
    finally:
        await drop_postgres_database(name)


async def create_postgres_database(name: str) -> str:
    """CREATE DATABASE `name` and return its URL; skips the test when PostgreSQL is not reachable."""
    url = make_url(POSTGRES_URL)
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except (OSError, SQLAlchemyError) as error:
        pytest.skip(f"PostgreSQL is not reachable at {url.render_as_string()}: {error}")
    finally:
        await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(name: str) -> None:
    admin = create_async_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    core = Core.create(settings)
    await core.start()
    yield core
    await core.stop()


@pytest.fixture
async def server_core(settings: Settings) -> AsyncIterator[Core]:
    """A started core that runs the detectors, as the server does, with the service "shop"."""
    core = Core.create(settings, detectors=default_detectors())
    await core.start()
    await core.services.add(slug="shop", name="Shop")
    yield core
    await core.stop()


@pytest.fixture
async def shop(core: Core) -> str:
    await core.services.add(slug="shop", name="Shop")
    return "shop"


@pytest.fixture
async def admin(core: Core) -> AgentRef:
    return await core.accounts.add(email="ada@example.com", name="Ada", password="password-1", admin=True)


@pytest.fixture
async def alice(core: Core) -> AgentRef:
    return await core.accounts.add(email="alice@example.com", name="Alice", password="password-1")


@pytest.fixture
async def bob(core: Core) -> AgentRef:
    return await core.accounts.add(email="bob@example.com", name="Bob", password="password-1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP receiver for outgoing webhooks (tests/receiver.py)."""
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
async def api(core: Core) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(core, manage_core=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://handoff.test") as client:
        yield client
