"""The real server in its own process: CLI, first run, event stream, durability across kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from handoff.core import Core
from handoff.settings import Settings
from tests.support import Server, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}"


def shop_server(database_url: str, tmp_path: Path, **env: str) -> Server:
    """A server (not started) with the service "shop"."""
    assert run_cli(database_url, "service", "add", "--slug", "shop", "--name", "Shop").returncode == 0
    return Server(database_url, tmp_path / "server.log", **env)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    server = shop_server(
        database_url, tmp_path, HANDOFF_ADMIN_EMAIL="boss@example.com", HANDOFF_ADMIN_PASSWORD="boss-password"
    )
    yield server.start()
    server.stop()


def start_conversation(server: Server, text: str = "Hello") -> tuple[str, dict[str, str]]:
    response = httpx.post(f"{server.url}/api/v1/conversations", json={"service": "shop", "text": text})
    assert response.status_code == 201, response.text
    return response.json()["id"], {"Authorization": f"Bearer {response.json()['token']}"}


def test_cli_creates_services_agents_and_keys(database_url: str) -> None:
    added = run_cli(
        database_url, "service", "add", "--slug", "help-desk", "--name", "Help Desk", "--mode", "human_only"
    )
    assert added.returncode == 0 and "help-desk" in added.stdout
    agent = run_cli(
        database_url,
        "agent",
        "add",
        "--email",
        "a@example.com",
        "--name",
        "Alex",
        "--password",
        "long-enough",
        "--admin",
    )
    assert agent.returncode == 0 and agent.stdout.strip().isdigit()
    key = run_cli(database_url, "service", "key", "--slug", "help-desk")
    assert key.returncode == 0 and key.stdout.strip().startswith("hk_")
    again = run_cli(database_url, "service", "add", "--slug", "help-desk", "--name", "Again")
    assert again.returncode == 2 and "already exists" in again.stderr
    missing = run_cli(database_url, "service", "key", "--slug", "nope")
    assert missing.returncode == 2 and "no service" in missing.stderr


def test_first_run_prints_a_generated_admin_password_once(database_url: str, tmp_path: Path) -> None:
    server = Server(database_url, tmp_path / "first.log").start()
    server.stop()
    assert server.log().count("Created the first admin: admin@localhost with password ") == 1
    server.start()
    server.stop()
    assert server.log().count("Created the first admin") == 1


def test_serves_the_api_docs(server: Server) -> None:
    assert httpx.get(f"{server.url}/docs").status_code == 200
    assert httpx.get(f"{server.url}/openapi.json").json()["info"]["title"] == "Handoff API"


def test_the_event_stream_delivers_every_new_message(server: Server) -> None:
    cid, auth = start_conversation(server)
    received: list[dict[str, object]] = []
    connected = threading.Event()

    def listen() -> None:
        with httpx.stream(
            "GET",
            f"{server.url}/api/v1/conversations/{cid}/events",
            headers=auth,
            timeout=httpx.Timeout(20.0),
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            for line in response.iter_lines():
                if line == ": connected":
                    connected.set()
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if len(received) == 3:
                        return

    listener = threading.Thread(target=listen)
    listener.start()
    assert connected.wait(20)
    for text in ("one", "two <b>three</b>", "четыре"):
        reply = httpx.post(
            f"{server.url}/api/v1/conversations/{cid}/messages", headers=auth, json={"text": text}
        )
        assert reply.status_code == 201
    listener.join(20)
    assert [m["text"] for m in received] == ["one", "two <b>three</b>", "четыре"]
    assert all(m["role"] == "user" and m["conversation_id"] == cid for m in received)


def test_the_event_stream_catches_up_from_last_event_id(server: Server) -> None:
    cid, auth = start_conversation(server, "first")
    first_id = httpx.get(f"{server.url}/api/v1/conversations/{cid}/messages", headers=auth).json()[
        "messages"
    ][0]["id"]
    httpx.post(f"{server.url}/api/v1/conversations/{cid}/messages", headers=auth, json={"text": "missed"})
    with httpx.stream(
        "GET",
        f"{server.url}/api/v1/conversations/{cid}/events",
        headers={**auth, "Last-Event-ID": str(first_id)},
        timeout=20,
    ) as response:
        data = next(line for line in response.iter_lines() if line.startswith("data: "))
    assert json.loads(data[6:])["text"] == "missed"


def connected(response: httpx.Response) -> Iterator[str]:
    """The stream's lines, once its ": connected" has come."""
    assert response.status_code == 200, response.read()
    lines = response.iter_lines()
    assert next(line for line in lines if line) == ": connected"
    return lines


def test_event_streams_are_limited_per_conversation_and_per_address(
    database_url: str, tmp_path: Path
) -> None:
    server = shop_server(
        database_url, tmp_path, HANDOFF_STREAMS_PER_CONVERSATION="2", HANDOFF_STREAMS_PER_ADDRESS="3"
    ).start()
    try:
        (a, auth_a), (b, auth_b), (c, auth_c) = (start_conversation(server) for _ in range(3))

        def stream(cid: str, auth: dict[str, str]) -> contextlib.AbstractContextManager[httpx.Response]:
            url = f"{server.url}/api/v1/conversations/{cid}/events"
            return httpx.stream("GET", url, headers=auth, timeout=20)

        with stream(a, auth_a) as first, stream(a, auth_a) as second:
            held = [connected(first), connected(second)]  # kept: a dropped line iterator closes its stream
            with stream(a, auth_a) as third:
                held.append(connected(third))
                assert [line for line in held[0] if line] == []  # the conversation's oldest stream was ended
                with stream(b, auth_b) as fourth:
                    held.append(connected(fourth))  # the address holds 3: second, third, fourth
                    with stream(c, auth_c) as refused:
                        assert refused.status_code == 429
                        assert "too many open event streams" in refused.read().decode()
        # The server gives the places back once it sees the clients go (it listens for the disconnect).
        deadline = time.monotonic() + 10
        while True:
            with stream(c, auth_c) as response:
                if response.status_code == 200 or time.monotonic() > deadline:
                    connected(response)
                    break
    finally:
        server.stop()


def test_an_acknowledged_message_survives_kill_9(server: Server) -> None:
    cid, auth = start_conversation(server)
    acknowledged = []
    with httpx.Client(base_url=server.url, headers=auth) as client:
        for i in range(40):
            response = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": f"message {i}"})
            assert response.status_code == 201
            acknowledged.append(response.json()["id"])
    server.kill()  # straight after the last 201
    server.start()
    stored = httpx.get(f"{server.url}/api/v1/conversations/{cid}/messages", headers=auth).json()["messages"]
    assert set(acknowledged) <= {m["id"] for m in stored}


def test_a_backup_taken_under_load_holds_every_acknowledged_message_and_restores(
    server: Server, database_url: str, tmp_path: Path
) -> None:
    cid, auth = start_conversation(server)
    acknowledged: list[int] = []
    backing_up = threading.Event()
    before_backup: list[int] = []

    def post() -> None:
        with httpx.Client(base_url=server.url, headers=auth) as client:
            for i in range(300):
                response = client.post(f"/api/v1/conversations/{cid}/messages", json={"text": f"message {i}"})
                assert response.status_code == 201
                acknowledged.append(response.json()["id"])
                if i == 100:
                    backing_up.set()

    poster = threading.Thread(target=post)
    poster.start()
    assert backing_up.wait(60)
    before_backup.extend(acknowledged)  # acknowledged before the backup began: it must hold them all
    copy = tmp_path / "backup.db"
    made = run_cli(database_url, "backup", "--to", str(copy))
    poster.join(60)
    assert made.returncode == 0, made.stderr
    with contextlib.closing(sqlite3.connect(copy)) as backup:
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {
            row[0] for row in backup.execute("SELECT id FROM messages WHERE conversation_id = ?", (cid,))
        }
    assert set(before_backup) <= stored and len(before_backup) > 100
    again = run_cli(database_url, "backup", "--to", str(copy))
    assert again.returncode == 2 and "never overwrites" in again.stderr

    restored_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    restored = run_cli(restored_url, "restore", "--from", str(copy))
    assert restored.returncode == 0, restored.stderr
    other = Server(restored_url, tmp_path / "restored.log").start()
    try:
        listing = httpx.get(f"{other.url}/api/v1/conversations/{cid}/messages", headers=auth).json()[
            "messages"
        ]
    finally:
        other.stop()
    assert {m["id"] for m in listing} == stored  # the same conversation, the same token, from the backup


def test_backup_refuses_what_it_cannot_copy(tmp_path: Path) -> None:
    postgres = run_cli("postgresql+asyncpg://x@127.0.0.1/none", "backup", "--to", str(tmp_path / "b.db"))
    assert postgres.returncode == 2 and "pg_dump" in postgres.stderr
    (tmp_path / "junk.db").write_text("not a database")
    junk = run_cli(
        f"sqlite+aiosqlite:///{tmp_path / 'target.db'}", "restore", "--from", str(tmp_path / "junk.db")
    )
    assert junk.returncode == 2 and "not a SQLite database" in junk.stderr


def test_the_session_secret_survives_a_restart(server: Server, database_url: str) -> None:
    import asyncio

    from handoff.core import Core
    from handoff.settings import Settings

    async def secret() -> str:
        core = Core.create(Settings(database_url=database_url))
        try:
            return await core.accounts.session_secret()
        finally:
            await core.db.dispose()

    before = asyncio.run(secret())
    server.stop()
    server.start()
    assert asyncio.run(secret()) == before


def test_the_admin_commands_change_a_service_and_deactivate_an_agent(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    assert run_cli(database_url, "service", "add", "--slug", "shop", "--name", "Shop").returncode == 0
    changed = run_cli(
        database_url,
        "service",
        "set",
        "--slug",
        "shop",
        "--name",
        "Web Shop",
        "--mode",
        "human_only",
        "--negative-threshold",
        "-0.4",
        "--remind-after",
        "90",
    )
    assert changed.returncode == 0, changed.stderr
    refused = run_cli(database_url, "service", "set", "--slug", "shop", "--remind-after", "1")
    assert refused.returncode == 2 and "remind after 10 to 86400 seconds" in refused.stderr
    for email in ("ada@example.com", "bo@example.com"):
        args = ["agent", "add", "--email", email, "--name", email[:2], "--password", "password-1", "--admin"]
        assert run_cli(database_url, *args).returncode == 0
    assert run_cli(database_url, "agent", "deactivate", "--email", "bo@example.com").returncode == 0
    listed = run_cli(database_url, "agent", "list").stdout.splitlines()
    assert [line.split("\t")[1:5] for line in listed] == [
        ["ada@example.com", "ad", "admin", "active"],
        ["bo@example.com", "bo", "admin", "deactivated"],
    ]
    last_admin = run_cli(database_url, "agent", "deactivate", "--email", "ada@example.com")
    assert last_admin.returncode == 2 and "last active admin" in last_admin.stderr

    async def service() -> tuple[str, str, float | None, int]:
        core = Core.create(Settings(database_url=database_url))
        try:
            view = await core.services.get("shop")
        finally:
            await core.db.dispose()
        return view.name, view.mode, view.negative_threshold, view.remind_after_seconds

    assert asyncio.run(service()) == ("Web Shop", "human_only", -0.4, 90)
