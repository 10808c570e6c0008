"""Composition root and command line: settings -> database -> bus -> services -> API + UI -> server."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from handoff.core import Core
from handoff.errors import HandoffError
from handoff.false_alarms import as_csv
from handoff.settings import Settings
from handoff.views import ServiceView


def build_core(settings: Settings) -> Core:
    from detection.defaults import default_detectors

    return Core.create(settings, detectors=default_detectors())


async def _prepare(settings: Settings) -> str:
    """Migrate, create the first admin of an empty database, and return the persisted session secret."""
    core = Core.create(settings)
    try:
        await core.db.migrate()
        first = await core.accounts.ensure_first_admin(
            email=settings.admin_email, password=settings.admin_password
        )
        if first is not None and first.generated_password is not None:
            print(f"Created the first admin: {first.email} with password {first.generated_password}")
            print("Shown only once: keep it, or set HANDOFF_ADMIN_EMAIL and HANDOFF_ADMIN_PASSWORD.")
        elif first is not None:
            print(f"Created the first admin: {first.email}")
        if settings.sample_data and not await core.services.all():
            for service in await add_sample_services(core):
                print(f"Created the sample service {service.name}: chat at /chat/{service.slug}")
        return await core.accounts.session_secret()
    finally:
        await core.db.dispose()


async def add_sample_services(core: Core) -> list[ServiceView]:
    samples = Path(__file__).parent / "handoff" / "samples"
    return [
        await core.services.add(slug="shop", name="Web Shop", knowledge_dir=str(samples / "shop")),
        await core.services.add(slug="helpdesk", name="Help Desk", knowledge_dir=str(samples / "helpdesk")),
    ]


def serve(settings: Settings, *, demo: bool = False) -> None:
    import uvicorn
    from nicegui import ui

    import handoff_ui
    from handoff.api import create_app

    secret = asyncio.run(_prepare(settings))
    core = build_core(settings)
    app = create_app(core)
    handoff_ui.install(core, freeze_startup_heap=True)
    if demo:
        from nicegui import app as nicegui_app

        from handoff.demo import DemoCustomers

        customers = DemoCustomers(core)
        nicegui_app.on_startup(customers.start)
        nicegui_app.on_shutdown(customers.stop)
    # No Tailwind: its in-browser compiler ran on every page load (/handoff ready 488 -> 448 ms without it);
    # console.css holds the few utilities the pages use.
    ui.run_with(app, storage_secret=secret, title="Handoff", show_welcome_message=False, tailwind=False)
    print(f"Handoff is serving on http://{settings.host}:{settings.port} (API docs at /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


async def _with_core(settings: Settings, args: argparse.Namespace) -> str:
    core = Core.create(settings)
    try:
        await core.db.migrate()
        if args.command == "detection":
            alarms = await core.false_alarms.recorded(args.detector)
            if args.output is None:
                return as_csv(alarms).rstrip("\n")
            await asyncio.to_thread(Path(args.output).write_text, as_csv(alarms), encoding="utf-8")
            return f"wrote {len(alarms)} false alarms to {args.output}"
        if args.command == "agent":
            agent = await core.accounts.add(
                email=args.email, name=args.name, password=args.password, admin=args.admin
            )
            return str(agent.id)
        if args.what == "add":
            service = await core.services.add(
                slug=args.slug,
                name=args.name,
                mode=args.mode,
                knowledge_dir=args.knowledge,
                negative_threshold=args.negative_threshold,
                bot_url=args.bot_url,
            )
            config = await core.services.config(service.slug)
            if config.bot_secret:
                return f"{service.id} {service.slug}\nbot signing secret: {config.bot_secret}"
            return f"{service.id} {service.slug}"
        return await core.services.new_api_key(slug=args.slug)
    finally:
        await core.db.dispose()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="main.py", description="Handoff: human handoff for AI customer service"
    )
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the console and the API")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--demo", action="store_true", help="simulated customers that raise every kind of flag")

    agent = commands.add_parser("agent", help="console accounts")
    agent_commands = agent.add_subparsers(dest="what", required=True)
    add_agent = agent_commands.add_parser("add", help="create a console account; prints its id")
    add_agent.add_argument("--email", required=True)
    add_agent.add_argument("--name", required=True)
    add_agent.add_argument("--password", required=True)
    add_agent.add_argument("--admin", action="store_true")

    service = commands.add_parser("service", help="services")
    service_commands = service.add_subparsers(dest="what", required=True)
    add_service = service_commands.add_parser("add", help="create a service")
    add_service.add_argument("--slug", required=True)
    add_service.add_argument("--name", required=True)
    add_service.add_argument(
        "--mode", default="human_supported", choices=["ai_only", "human_supported", "human_only"]
    )
    add_service.add_argument("--knowledge", help="folder of the service's specialist agents' knowledge")
    add_service.add_argument(
        "--negative-threshold",
        type=float,
        help="fire Negative Feedback at this score or lower (-1..0; default -0.2)",
    )
    add_service.add_argument("--bot-url", help="POST each customer message to this external bot (signed)")
    key = service_commands.add_parser("key", help="print a new API key for the service's external bot")
    key.add_argument("--slug", required=True)

    detection = commands.add_parser("detection", help="the detectors' recorded false alarms")
    detection_commands = detection.add_subparsers(dest="what", required=True)
    export = detection_commands.add_parser(
        "export-false-alarms",
        help="flags agents marked 'Not needed', as labelled rows for python -m detection.evaluate",
    )
    export.add_argument("--detector", choices=["help_requested", "negative_feedback", "non_answer"])
    export.add_argument("--output", help="write the CSV here (default: print it)")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    if args.command == "serve":
        overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
        serve(settings.model_copy(update=overrides), demo=args.demo)
        return 0
    try:
        print(asyncio.run(_with_core(settings, args)))
    except HandoffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
