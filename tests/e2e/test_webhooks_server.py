"""Outgoing webhooks of the real server: managed by the CLI while it serves, and never lost: deliveries that
are pending when the server is killed with SIGKILL go out after the restart, each exactly once."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_server import shop_server
from tests.receiver import Receiver
from tests.support import run_cli

pytestmark = pytest.mark.e2e
ALLOW = {"HANDOFF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true"}


def test_the_cli_adds_lists_and_removes_webhooks_and_refuses_a_private_address(
    tmp_path: Path, receiver: Receiver
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}"
    refused = run_cli(url, "webhook", "add", "--url", receiver.url)
    assert refused.returncode == 2 and "loopback, private or link-local" in refused.stderr
    wrong = run_cli(url, "webhook", "add", "--url", "https://example.com/x", "--events", "flag.raised,oops")
    assert wrong.returncode == 2 and "unknown events oops" in wrong.stderr
    added = run_cli(
        url, "webhook", "add", "--url", receiver.url, "--events", "flag.raised", "--format", "slack", **ALLOW
    )
    assert added.returncode == 0, added.stderr
    webhook_id, secret_line = added.stdout.strip().splitlines()
    assert secret_line.startswith("signing secret: ") and len(secret_line) > 50
    listed = run_cli(url, "webhook", "list")
    assert listed.stdout.strip() == f"{webhook_id}\t{receiver.url}\tslack\ton\tflag.raised"
    assert run_cli(url, "webhook", "remove", "--id", webhook_id).returncode == 0
    assert run_cli(url, "webhook", "list").stdout.strip() == ""
    missing = run_cli(url, "webhook", "remove", "--id", webhook_id)
    assert missing.returncode == 2 and f"no webhook {webhook_id}" in missing.stderr


def test_deliveries_pending_at_a_sigkill_go_out_after_the_restart_each_once(
    tmp_path: Path, receiver: Receiver
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}"
    server = shop_server(
        database,
        tmp_path,
        HANDOFF_WEBHOOK_BACKOFF_SECONDS="0.2",
        HANDOFF_WEBHOOK_ATTEMPTS="100",
        HANDOFF_WEBHOOK_TIMEOUT_SECONDS="2",
        **ALLOW,
    )
    server.start()
    try:
        added = run_cli(
            database, "webhook", "add", "--url", receiver.url, "--events", "conversation.started", **ALLOW
        )
        assert added.returncode == 0, added.stderr  # added while the server runs: it is told at once
        receiver.answer(*[503] * 1000)  # down for now
        started = []
        for n in range(10):
            response = httpx.post(
                f"{server.url}/api/v1/conversations", json={"service": "shop", "text": f"Q{n}"}
            )
            assert response.status_code == 201
            started.append(response.json()["id"])
        receiver.wait_for(10)  # each tried at least once, between them
        server.kill()
        receiver.answer_ok()
        server.start()
        ok = receiver.wait_for(10, answer=200)
    finally:
        server.stop()
    by_delivery = Counter(r.delivery for r in ok)
    assert len(by_delivery) == 10 and set(by_delivery.values()) == {1}  # each once...
    assert sorted(r.json()["data"]["conversation"]["id"] for r in ok) == sorted(started)
    with sqlite3.connect(tmp_path / "handoff.db") as db:  # ...and none left to send again
        assert db.execute("SELECT status, count(*) FROM webhook_deliveries GROUP BY status").fetchall() == [
            ("delivered", 10)
        ]
    assert "Traceback" not in server.log()


def test_the_log_has_one_json_line_per_event_worth_knowing(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'handoff.db'}"
    server = shop_server(database, tmp_path, HANDOFF_LOG_FORMAT="json").start()
    try:
        response = httpx.post(
            f"{server.url}/api/v1/conversations", json={"service": "shop", "text": "Secret words"}
        )
        cid, token = response.json()["id"], response.json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        asked = httpx.post(f"{server.url}/api/v1/conversations/{cid}/human-request", headers=headers)
        assert asked.status_code < 300
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    events = [(line["message"].split(" conversation=")[0], line.get("conversation")) for line in lines]
    assert ("conversation started", cid) in events and ("flag raised", cid) in events
    flag = next(line for line in lines if line["message"].startswith("flag raised"))
    assert flag["kind"] == "help_requested" and flag["service"] == "shop" and flag["level"] == "INFO"
    assert {"time", "logger"} <= flag.keys()
    assert "Secret words" not in server.log()  # what people write stays out of the log
