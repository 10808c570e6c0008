"""Durability under load: 8 clients post customer messages while the server is killed with SIGKILL 20 times
at random moments and restarted, on SQLite and on PostgreSQL.

Each client sends its messages in order, each with a `client_message_id`, and sends a message again (same
id) until it is acknowledged, as a careful client does across a crash. Afterwards every acknowledged message
must be stored, and none twice (the id makes a retry of a message that was stored before the crash return
the stored one).

    .venv/bin/python -m bench.durability [--kills 20] [--clients 8] [--backend sqlite|postgres]

Prints figures as it goes and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.common import on_each_backend
from tests.support import Server, run_cli


async def client_loop(
    server: Server, cid: str, token: str, worker: int, stop: asyncio.Event, acknowledged: dict[str, int]
) -> tuple[int, int]:
    """Post messages 0, 1, 2, ... until `stop`; each one again until acknowledged. The retries made, and how
    many retries found their message already stored (200: stored before the crash, its 201 lost)."""
    retries = replayed = 0
    headers = {"Authorization": f"Bearer {token}"}
    number = 0
    async with httpx.AsyncClient(timeout=5) as client:
        while not stop.is_set():
            key = f"{worker}-{number}"
            try:
                response = await client.post(
                    f"{server.url}/api/v1/conversations/{cid}/messages",
                    headers=headers,
                    json={"text": f"message {key}", "client_message_id": key},
                )
            except httpx.HTTPError:
                retries += 1
                await asyncio.sleep(0.05)  # the server is down: try the same message again shortly
                continue
            if response.status_code in (200, 201):
                acknowledged[key] = response.json()["id"]
                replayed += response.status_code == 200
                number += 1
            else:
                retries += 1
    return retries, replayed


async def kill_loop(server: Server, kills: int, rng: random.Random) -> list[float]:
    """Kill the server `kills` times at random moments; the seconds each restart took."""
    restarts = []
    for _ in range(kills):
        await asyncio.sleep(rng.uniform(0.3, 2.5))  # a random moment under load
        server.kill()
        started = time.monotonic()
        await asyncio.to_thread(server.start)
        restarts.append(time.monotonic() - started)
    return restarts


async def run(url: str, folder: Path, clients: int, kills: int, seed: int) -> dict[str, object]:
    run_cli(url, "service", "add", "--slug", "shop", "--name", "Shop", "--mode", "human_only")
    server = Server(url, folder / "server.log").start()
    conversations = []
    async with httpx.AsyncClient(base_url=server.url) as client:
        for _ in range(clients):
            started = (await client.post("/api/v1/conversations", json={"service": "shop"})).json()
            conversations.append((started["id"], started["token"]))
    acknowledged: dict[str, int] = {}
    stop = asyncio.Event()
    loops = [
        asyncio.create_task(client_loop(server, cid, token, worker, stop, acknowledged))
        for worker, (cid, token) in enumerate(conversations)
    ]
    restarts = await kill_loop(server, kills, random.Random(seed))
    await asyncio.sleep(1.0)  # a last stretch of load after the last restart
    stop.set()
    counts = await asyncio.gather(*loops)
    retries, replayed = sum(c[0] for c in counts), sum(c[1] for c in counts)
    server.stop()
    server.start()  # read back through a fresh process
    stored: Counter[str] = Counter()
    stored_ids: set[int] = set()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        for cid, token in conversations:
            listing = await client.get(
                f"/api/v1/conversations/{cid}/messages", headers={"Authorization": f"Bearer {token}"}
            )
            for message in listing.json()["messages"]:
                if message["role"] == "user":
                    stored[message["text"]] += 1
                    stored_ids.add(message["id"])
    server.stop()
    lost = [key for key, message_id in acknowledged.items() if message_id not in stored_ids]
    twice = [text for text, count in stored.items() if count > 1]
    return {
        "kills": kills,
        "acknowledged": len(acknowledged),
        "stored": sum(stored.values()),
        "lost": len(lost),
        "stored_twice": len(twice),
        "retries": retries,
        "retries_found_stored": replayed,
        "restart_s_median": round(sorted(restarts)[len(restarts) // 2], 2),
    }


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    async def measure(url: str, folder: Path) -> dict[str, object]:
        return await run(url, folder, args.clients, args.kills, args.seed)

    heading: dict[str, object] = {"benchmark": "durability", "clients": args.clients}
    return heading | await on_each_backend(args.backend, measure)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.durability")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), action="append")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()
