"""Ingest: customer messages acknowledged per second through the API (detection, durable commit, events).

Starts the real server on a scratch SQLite file, opens one conversation per client, and has CLIENTS
concurrent clients post MESSAGES messages in all. Prints figures and ends with one JSON line.

    .venv/bin/python -m bench.ingest [--clients 8] [--messages 2000] [--synchronous FULL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from tests.support import Server, run_cli


async def client_loop(
    client: httpx.AsyncClient, cid: str, token: str, count: int, latencies: list[float]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for i in range(count):
        started = time.perf_counter()
        response = await client.post(
            f"/api/v1/conversations/{cid}/messages",
            headers=headers,
            json={"text": f"Where is my order number {i}? It is late."},
        )
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)


async def measure(url: str, clients: int, messages: int) -> dict[str, float]:
    async with httpx.AsyncClient(
        base_url=url, timeout=30, limits=httpx.Limits(max_connections=clients)
    ) as client:
        conversations = []
        for _ in range(clients):
            created = (
                await client.post("/api/v1/conversations", json={"service": "bench", "text": "hi"})
            ).json()
            conversations.append((created["id"], created["token"]))
        await client_loop(client, *conversations[0], 50, [])  # warm-up
        latencies: list[float] = []
        started = time.perf_counter()
        per_client = messages // clients
        await asyncio.gather(
            *(client_loop(client, cid, token, per_client, latencies) for cid, token in conversations)
        )
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "messages": per_client * clients,
        "seconds": round(elapsed, 3),
        "messages_per_second": round(per_client * clients / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        run_cli(url, "service", "add", "--slug", "bench", "--name", "Bench")
        server = Server(
            url, Path(scratch) / "server.log", HANDOFF_SQLITE_SYNCHRONOUS=args.synchronous
        ).start()
        try:
            figures = asyncio.run(measure(server.url, args.clients, args.messages))
        finally:
            server.stop()
    figures = {"benchmark": "ingest", "clients": args.clients, "synchronous": args.synchronous, **figures}
    print(
        f"{figures['messages']} messages from {args.clients} clients in {figures['seconds']} s: "
        f"{figures['messages_per_second']} messages/s, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
