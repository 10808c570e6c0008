"""Running the real server as a subprocess, for end-to-end tests and benchmarks."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import types
import typing
from collections.abc import Coroutine, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx

from handoff import events as events_module
from handoff.core import Core
from handoff.events import Event

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"  # Debian's; `make test` installs it
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"
    }  # NiceGUI would think it is a test
    env.update(HANDOFF_DATABASE_URL=database_url, **extra)
    if database_url.startswith("sqlite") and "HANDOFF_KNOWLEDGE_ROOT" not in extra:
        # the sample services' knowledge is copied beside the test's database, not into the repository
        env["HANDOFF_KNOWLEDGE_ROOT"] = str(Path(database_url.split("///", 1)[1]).parent / "knowledge")
    return env


def python(
    database_url: str, args: Sequence[str], timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python <args>` in the project's folder, with that database and `env`: more HANDOFF_ settings."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=server_env(database_url, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`main.py <args>` on that database; `env`: more HANDOFF_ settings."""
    return python(database_url, ["main.py", *args], 60, **env)


# `main.py`'s own entry point for each command in turn, in one interpreter: importing the core is most of
# a command's time (~1 s of 1.3-2.3 s), and a browser test's server is seeded with four or more of them
RUN_EACH = """
import json, sys
import main
for args in json.loads(sys.argv[1]):
    code = main.main(args)
    if code != 0:
        sys.exit(f"main.py {' '.join(args)} exited with {code}")
"""


def run_cli_each(database_url: str, commands: Iterable[Sequence[str]], **env: str) -> None:
    """`main.py <args>` for each command in turn on that database, as an operator types them, in one process;
    raises at the first that fails, with its error."""
    done = python(database_url, ["-c", RUN_EACH, json.dumps([list(args) for args in commands])], 120, **env)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)


AGENT_PASSWORD = "password-1"  # every agent the tests and benchmarks add


def card_selector(conversation_id: str) -> str:
    """The CSS selector of a conversation's card on the console (a toast about it carries its id too)."""
    return f"[data-testid=conversation-card][data-conversation-id='{conversation_id}']"


def agent_add_args(email: str, name: str, *, admin: bool = False) -> list[str]:
    """The `main.py agent add` arguments for an agent account with the tests' password."""
    args = ["agent", "add", "--email", email, "--name", name, "--password", AGENT_PASSWORD]
    return [*args, *(["--admin"] if admin else [])]


def add_agent(database_url: str, email: str, name: str, *, admin: bool = False) -> None:
    """An agent account, added the way an operator does (`main.py agent add`)."""
    run_cli_each(database_url, [agent_add_args(email, name, admin=admin)])


def run_in_thread(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on a loop of its own thread (Playwright's sync API holds the caller's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


class Server:
    """`main.py serve` on a free port, with its output kept in a log file."""

    def __init__(self, database_url: str, log_path: Path, *args: str, **env: str) -> None:
        """`args`: more `serve` arguments (`--demo`, say); `env`: HANDOFF_ settings."""
        self.database_url = database_url
        self.log_path = log_path
        self.args = args
        self.env = {"NICEGUI_STORAGE_PATH": str(log_path.parent / "nicegui-storage"), **env}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--port", str(self.port), *self.args],
            cwd=ROOT,
            env=server_env(self.database_url, **self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling for readiness of a separate process, bounded by the deadline
        raise TimeoutError(f"server not ready after {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing: what a crash looks like."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def ai_reply(core: Core, text: str) -> tuple[str, bool | None]:
    """Start a conversation of "shop" with `text` and wait for the AI's answer: its text and `answered`."""
    cid = (await core.conversations.start(service_slug="shop", text=text)).conversation.id
    for _ in range(200):
        await core.bus.drain()
        messages = [m for m in await core.conversations.messages(cid) if m.role == "ai"]
        if messages:
            return messages[-1].text, messages[-1].answered
    raise AssertionError("the AI never answered")


def metric_figures(text: str) -> dict[str, float]:
    """Prometheus text as {sample: value}, a sample named with its labels in order, e.g.
    `handoff_messages_total{role="user"}` (prometheus_client's own parser)."""
    from prometheus_client.parser import text_string_to_metric_families

    figures = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sample.labels.items())
            figures[sample.name + (f"{{{labels}}}" if labels else "")] = sample.value
    return figures


HAPROXY = "/usr/sbin/haproxy"  # Debian's; `make test` installs it
POSTGRES_URL = os.environ.get(
    "HANDOFF_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HANDOFF_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Balancer:
    """HAProxy on a free port in front of the servers, with the example configuration (deploy/haproxy.cfg):
    sticky sessions by the cookie HANDOFF_PROCESS, whose value names the server ("one", "two")."""

    def __init__(self, one: Server, two: Server, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = {
            **os.environ,
            "HANDOFF_LB_BIND": f"127.0.0.1:{self.port}",
            "HANDOFF_ONE": f"127.0.0.1:{one.port}",
            "HANDOFF_TWO": f"127.0.0.1:{two.port}",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Balancer:
        log = self.log_path.open("ab")
        command = [HAPROXY, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # ready once both servers pass its health check
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited early:\n{self.log_path.read_text(errors='replace')}")
            try:
                answers = {
                    httpx.get(f"{self.url}/healthz", timeout=1).cookies.get("HANDOFF_PROCESS") for _ in "12"
                }
                if answers == {"one", "two"}:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling a separate process's readiness, bounded by the deadline
        raise TimeoutError(f"haproxy not balancing over both servers after {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def sample_of(kind: Any) -> Any:
    """A value of the annotated type (an event of that class, say), for tests that cover every event type."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return sample_of(next(arg for arg in args if arg is not type(None)))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (sample_of(args[0]),)
        return tuple(map(sample_of, args))
    if is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: sample_of(hints[f.name]) for f in fields(kind) if f.init})
    return {
        str: "text é <b>",
        int: 7,
        float: 0.5,
        bool: True,
        datetime: datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
    }[kind]


def event_types() -> list[type[Event]]:
    """Every event class there is (handoff.events)."""
    return [
        value
        for value in vars(events_module).values()
        if isinstance(value, type) and issubclass(value, Event) and value is not Event
    ]
