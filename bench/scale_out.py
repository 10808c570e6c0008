"""Scale-out (issue 21): several `main.py serve` processes on one PostgreSQL database, events over Redis.

1. Ingest: customer messages acknowledged per second with 1, 2 and 4 processes (the clients spread evenly over
   them), against one process without Redis on the same PostgreSQL and the floor's POSTs per second.
2. Latency: a message posted through one process until its card changes on K console pages of another,
   against the same pages with the message posted through their own process, and the floor.

    .venv/bin/python -m bench.scale_out [--processes 1 2 4] [--clients 16] [--messages 4000]
        [--conversations 1000] [--k 10] [--rounds 30]

Needs this machine's PostgreSQL and Redis (HANDOFF_TEST_POSTGRES_URL, HANDOFF_TEST_REDIS_URL). On a machine
with fewer cores than processes (2 here), the processes share the cores with PostgreSQL, Redis and the
clients: the factor then tells what the coordination costs more than what more machines would give.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import redis
from playwright.sync_api import sync_playwright

from bench import ingest, latency
from bench.common import Seeded, seed
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.support import CHROMIUM, CHROMIUM_ARGS, REDIS_URL, Server, add_agent, run_cli, run_in_thread


@contextlib.contextmanager
def cluster(
    processes: int, *, redis_url: str | None, seeded: int = 0
) -> Iterator[tuple[list[Server], Seeded]]:
    """`processes` servers on a new PostgreSQL database (with `seeded` live conversations), sharing Redis
    under a prefix of their own when `redis_url` is given."""
    name = f"handoff_bench_{uuid.uuid4().hex[:12]}"
    url = run_in_thread(create_postgres_database(name))
    prefix = f"handoff-bench-{uuid.uuid4().hex[:8]}:"
    servers: list[Server] = []
    with tempfile.TemporaryDirectory() as scratch:
        env = {"HANDOFF_KNOWLEDGE_ROOT": str(Path(scratch) / "knowledge"), "HANDOFF_SAMPLE_DATA": "false"}
        if redis_url:
            env |= {"HANDOFF_REDIS_URL": redis_url, "HANDOFF_REDIS_KEY_PREFIX": prefix}
        try:
            made = run_in_thread(seed(url, seeded)) if seeded else Seeded({}, {}, [])
            assert run_cli(url, "service", "add", "--slug", "bench", "--name", "Bench").returncode == 0
            add_agent(url, "ada@example.com", "Ada", admin=True)
            for number in range(processes):
                servers.append(Server(url, Path(scratch) / f"server-{number}.log", **env).start(timeout=60))
            yield servers, made
        finally:
            for server in servers:
                server.stop()
            run_in_thread(drop_postgres_database(name))
            if redis_url:
                client = redis.Redis.from_url(redis_url)
                keys = list(client.scan_iter(match=prefix + "*"))
                if keys:
                    client.delete(*keys)
                client.close()


async def spread_ingest(urls: list[str], clients: int, messages: int) -> dict[str, float]:
    """`clients` loops, client i posting to process i % len(urls), each in a conversation of its own."""
    latencies: list[float] = []
    http = [
        httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=clients))
        for url in urls
    ]
    try:
        conversations = []
        for worker in range(clients):
            client = http[worker % len(http)]
            created = (
                await client.post("/api/v1/conversations", json={"service": "bench", "text": "hi"})
            ).json()
            conversations.append((client, created["id"], {"Authorization": f"Bearer {created['token']}"}))

        async def loop(worker: int, count: int, keep: bool) -> None:
            client, cid, headers = conversations[worker]
            for i in range(count):
                started = time.perf_counter()
                text = f"Where is my order number {i}? It is late."
                answer = await client.post(
                    f"/api/v1/conversations/{cid}/messages", headers=headers, json={"text": text}
                )
                answer.raise_for_status()
                if keep:
                    latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(loop(worker, 10, False) for worker in range(clients)))  # warm-up
        per_client = messages // clients
        started = time.perf_counter()
        await asyncio.gather(*(loop(worker, per_client, True) for worker in range(clients)))
        elapsed = time.perf_counter() - started
    finally:
        for client in http:
            await client.aclose()
    latencies.sort()
    return {
        "per_second": round(per_client * clients / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
    }


def measure_ingest(counts: list[int], clients: int, messages: int) -> dict[str, object]:
    figures: dict[str, object] = {"floor_before": ingest.floor(clients, messages)}
    print(f"ingest floor (before): {figures['floor_before']}", flush=True)
    with cluster(1, redis_url=None) as (servers, _):
        figures["one_process_no_redis"] = asyncio.run(
            spread_ingest([s.url for s in servers], clients, messages)
        )
    print(f"ingest, 1 process on PostgreSQL without Redis: {figures['one_process_no_redis']}", flush=True)
    for count in counts:
        with cluster(count, redis_url=REDIS_URL) as (servers, _):
            measured = asyncio.run(spread_ingest([s.url for s in servers], clients, messages))
        figures[f"processes_{count}"] = measured
        print(f"ingest, {count} processes on PostgreSQL and Redis: {measured}", flush=True)
    figures["floor_after"] = ingest.floor(clients, messages)
    print(f"ingest floor (after): {figures['floor_after']}", flush=True)
    first = figures.get(f"processes_{counts[0]}")
    if isinstance(first, dict):
        for count in counts:
            measured = figures[f"processes_{count}"]
            assert isinstance(measured, dict)
            measured["factor_vs_first"] = round(measured["per_second"] / first["per_second"], 2)
    return figures


def measure_latency(conversations: int, k: int, rounds: int) -> dict[str, object]:
    figures: dict[str, object] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        floor = latency.floor_latency(browser, k, rounds)
        with cluster(2, redis_url=REDIS_URL, seeded=conversations) as (servers, seeded):
            pages_on, other = servers
            for case in ("one card", "spread"):
                for label, post_to in (("same process", pages_on), ("other process", other)):
                    values = latency.handoff_latency(
                        browser, pages_on.url, seeded, k, rounds, case, post_url=post_to.url
                    )
                    figures[f"{case}|{label}"] = latency.summary(values, k)
        floor += latency.floor_latency(browser, k, rounds)
        browser.close()
    base = latency.summary(floor, k)
    figures["floor"] = base
    print(f"latency floor, K={k}: {base}", flush=True)
    for key, measured in figures.items():
        if key == "floor" or not isinstance(measured, dict):
            continue
        latency.against(measured, base)
        case, label = key.split("|")
        print(
            f"latency, {conversations} conversations, K={k} pages on one process, {case}, posted through "
            f"the {label}: p50 {measured['p50_ms']} ms ({measured['p50_vs_floor']}x), "
            f"p95 {measured['p95_ms']} ms ({measured['p95_vs_floor']}x)",
            flush=True,
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    result: dict[str, object] = {"benchmark": "scale_out"}
    result["ingest"] = measure_ingest(args.processes, args.clients, args.messages)
    if not args.skip_latency:
        result["latency"] = measure_latency(args.conversations, args.k, args.rounds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
