"""User tests run the console in-process with a fresh database each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nicegui import app, ui
from nicegui.testing import User

from handoff.core import Core
from handoff.views import AgentRef
from handoff_ui.live import Live


@pytest.fixture(autouse=True)
def ui_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_UI_TEST_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'ui.db'}")


@pytest.fixture
async def console(user: User) -> AsyncIterator[tuple[Core, Live]]:
    core, live = app.state.handoff
    await live.started.wait()
    yield core, live


async def log_in(user: User, core: Core, *, admin: bool = True, name: str = "Ada") -> AgentRef:
    agent = await core.accounts.add(
        email=f"{name.lower()}@example.com", name=name, password="password-1", admin=admin
    )
    await user.open("/login")
    user.find("Email").type(f"{name.lower()}@example.com")
    user.find("Password").type("password-1")
    user.find(kind=ui.button, content="Log in").click()
    await user.should_see("Active Conversations", retries=50)
    return agent
