"""Slow and hostile clients: does the server keep answering everyone else?

Against one server (SQLite), the same probe runs three times: 4 clients posting customer messages and
reading them back, p50/p95 per request.

1. quiet: nothing else; then with the long messages of phase 2 posted to conversations nobody streams.
2. hostile: 200 clients each open a conversation's event stream and never read a byte of it, while 4000-
   character messages are posted to those conversations (the server's writes to them back up), and 50
   clients start a POST and trickle its body one byte a second (each should get 408 after
   HANDOFF_BODY_TIMEOUT_SECONDS). The streams' limit per address is raised for this phase so that all 200
   are held.
3. limits: a server with the default limits, where the same 200 never-reading streams come from one
   address: how many are accepted and how many refused (429).

    .venv/bin/python -m bench.hostile [--streams 200] [--slow 50] [--seconds 40]

Prints figures as it goes and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

import httpx

from bench.common import errors_in, rss_mb
from tests.support import Server, run_cli


async def open_conversations(url: str, count: int) -> list[tuple[str, str]]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        made = []
        for _ in range(count):
            started = (
                await client.post("/api/v1/conversations", json={"service": "bench", "text": "hi"})
            ).json()
            made.append((started["id"], started["token"]))
        return made


async def probe(url: str, conversations: list[tuple[str, str]], seconds: float) -> dict[str, float]:
    """4 clients post a message and read the conversation back, in turn, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def timed(call: Awaitable[httpx.Response]) -> httpx.Response | None:
        nonlocal errors
        started = time.perf_counter()
        try:
            response: httpx.Response | None = await call
        except httpx.HTTPError:
            response = None
        latencies.append(time.perf_counter() - started)
        if response is None or response.status_code >= 400:
            errors += 1
            return None
        return response

    async def loop(client: httpx.AsyncClient, cid: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        messages = f"/api/v1/conversations/{cid}/messages"
        i = 0
        while time.monotonic() < deadline:
            i += 1
            posted = await timed(client.post(messages, headers=headers, json={"text": f"Where is {i}?"}))
            after = posted.json()["id"] - 1 if posted is not None else 0
            await timed(client.get(f"{messages}?after={after}", headers=headers))  # what is new, as a client

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        await asyncio.gather(*(loop(client, cid, token) for cid, token in conversations))
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }


async def never_reading_stream(port: int, cid: str, token: str) -> tuple[asyncio.StreamWriter, int]:
    """Open the event stream, read only the status line, then never read again; the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /api/v1/conversations/{cid}/events HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    return writer, status


async def slow_body(port: int, cid: str, token: str, seconds: float) -> tuple[int | None, float]:
    """POST a message whose body comes one byte a second; the status the server answers with, and when."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = json.dumps({"text": "x" * 500}).encode()
    writer.write(
        f"POST /api/v1/conversations/{cid}/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    started = time.monotonic()

    async def trickle() -> None:
        for byte in body:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1.0)  # the hostile client's pace, not a wait for a result

    trickling = asyncio.create_task(trickle())
    try:
        line = await asyncio.wait_for(reader.readline(), seconds)
        return int(line.split()[1]), round(time.monotonic() - started, 1)
    except (TimeoutError, IndexError, ConnectionError):
        return None, round(time.monotonic() - started, 1)
    finally:
        trickling.cancel()
        with contextlib.suppress(BaseException):
            await trickling
        writer.close()


async def flood(url: str, conversations: list[tuple[str, str]], until: float) -> int:
    """Post long messages round the never-read conversations: the server has to write them to the streams."""
    posted = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while time.monotonic() < until:
            cid, token = conversations[posted % len(conversations)]
            await client.post(
                f"/api/v1/conversations/{cid}/messages",
                headers={"Authorization": f"Bearer {token}"},
                json={"text": "long " * 800},
            )
            posted += 1
    return posted


async def probe_with_flood(
    url: str, probes: list[tuple[str, str]], conversations: list[tuple[str, str]], seconds: float
) -> dict[str, float]:
    flooding = asyncio.create_task(flood(url, conversations, time.monotonic() + seconds))
    figures = await probe(url, probes, seconds)
    await flooding
    return figures


async def hostile_phase(server: Server, streams: int, slow: int, seconds: float) -> dict[str, object]:
    probes = await open_conversations(server.url, 4)
    quiet = await probe(server.url, probes, seconds / 2)
    print(f"quiet: {quiet}", flush=True)
    assert server.process is not None
    rss_before = rss_mb(server.process.pid)
    others = await open_conversations(server.url, streams)
    flood_only = await probe_with_flood(server.url, probes, others, seconds / 2)
    print(f"flood only (the same long messages, to conversations nobody streams): {flood_only}", flush=True)
    victims = await open_conversations(server.url, streams + slow)
    held = [await never_reading_stream(server.port, cid, token) for cid, token in victims[:streams]]
    statuses = [status for _, status in held]
    until = time.monotonic() + seconds
    slow_tasks = [
        asyncio.create_task(slow_body(server.port, cid, token, seconds + 10))
        for cid, token in victims[streams:]
    ]
    flooding = asyncio.create_task(flood(server.url, victims[:streams], until))
    loaded = await probe(server.url, probes, seconds)
    posted = await flooding
    slow_results = await asyncio.gather(*slow_tasks)
    rss_after = rss_mb(server.process.pid)
    for writer, _ in held:
        writer.close()
    after = await probe(server.url, probes, seconds / 4)  # once they are gone
    result = {
        "quiet": quiet,
        "flood_only": flood_only,
        "hostile": loaded,
        "after": after,
        "streams_accepted": statuses.count(200),
        "long_messages_posted_to_unread_streams": posted,
        "slow_bodies": {
            "408": sum(1 for status, _ in slow_results if status == 408),
            "other": sorted({str(status) for status, _ in slow_results if status != 408}),
            "answered_after_s": statistics.median(at for _, at in slow_results),
        },
        "server_rss_mb": {"before": round(rss_before, 1), "under_load": round(rss_after, 1)},
    }
    print(f"hostile: {loaded}", flush=True)
    print(f"after: {after}", flush=True)
    print(
        f"{result['streams_accepted']} of {streams} never-read streams held, {posted} long messages posted "
        f"to them; slow bodies: {result['slow_bodies']}; server RSS {result['server_rss_mb']} MB",
        flush=True,
    )
    return result


async def limits_phase(server: Server, streams: int) -> dict[str, int]:
    victims = await open_conversations(server.url, streams)
    held = [await never_reading_stream(server.port, cid, token) for cid, token in victims]
    statuses = [status for _, status in held]
    for writer, _ in held:
        writer.close()
    result = {"accepted": statuses.count(200), "refused_429": statuses.count(429)}
    print(f"default limits, {streams} never-read streams from one address: {result}", flush=True)
    return result


def run(streams: int, slow: int, seconds: float) -> dict[str, object]:
    result: dict[str, object] = {"benchmark": "hostile", "streams": streams, "slow_clients": slow}
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        run_cli(url, "service", "add", "--slug", "bench", "--name", "Bench")
        log = Path(scratch) / "server.log"
        server = Server(url, log, HANDOFF_STREAMS_PER_ADDRESS=str(streams + 10)).start()
        try:
            result |= asyncio.run(hostile_phase(server, streams, slow, seconds))
        finally:
            server.stop()
        server = Server(url, log).start()
        try:
            result["limits"] = asyncio.run(limits_phase(server, streams))
        finally:
            server.stop()
        result["errors_in_log"] = errors_in(log.read_text(errors="replace"))
    print(f"errors in the server's log: {result['errors_in_log']}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.hostile")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    print(json.dumps(run(args.streams, args.slow, args.seconds)))


if __name__ == "__main__":
    main()
