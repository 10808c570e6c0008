"""Composition root and command line: settings -> database -> bus -> services -> API + UI -> server."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from handoff.bus import InProcessBus
from handoff.core import Core
from handoff.errors import HandoffError, NotFound
from handoff.false_alarms import as_csv
from handoff.outbox import EVENTS, FORMATS
from handoff.settings import Settings
from handoff.views import ServiceView


def build_core(settings: Settings) -> Core:
    from detection.defaults import default_detectors

    return Core.create(settings, detectors=default_detectors())


async def _prepare(settings: Settings) -> str:
    """Migrate, create the first admin of an empty database, and return the persisted session secret."""
    core = Core.create(settings, bus=InProcessBus())  # nothing to tell other processes yet
    try:
        async with core.db.startup_lock():
            return await _prepare_locked(core, settings)
    finally:
        await core.db.dispose()


async def _prepare_locked(core: Core, settings: Settings) -> str:
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


async def add_sample_services(core: Core) -> list[ServiceView]:
    """Web Shop and Help Desk, each with a copy of the sample knowledge in its own folder under the
    knowledge root, so that editing it in the console changes that copy, never the repository's files."""
    samples = Path(__file__).parent / "handoff" / "samples"
    added = []
    for slug, name in (("shop", "Web Shop"), ("helpdesk", "Help Desk")):
        folder = core.services.knowledge_folder(slug)
        if not folder.exists():
            await asyncio.to_thread(shutil.copytree, samples / slug, folder)
        added.append(await core.services.add(slug=slug, name=name, knowledge_dir=str(folder)))
    return added


RECONNECT_SECONDS = 20.0


def serve(settings: Settings, *, demo: bool = False) -> None:
    import uvicorn
    from nicegui import ui

    import handoff_ui
    from handoff.api import create_app
    from handoff.logs import configure

    configure(settings.log_format, settings.log_level)
    if settings.redis_url:  # several processes: a browser moved to another one finds its storage there
        from nicegui.storage import Storage

        if not Storage.redis_url:  # NICEGUI_REDIS_URL, when given, wins
            Storage.redis_url = settings.redis_url
            Storage.redis_key_prefix = settings.redis_key_prefix + "nicegui:"
    secret = asyncio.run(_prepare(settings))
    core = build_core(settings)
    app = create_app(core)
    handoff_ui.install(core, freeze_startup_heap=True)
    if demo:
        from nicegui import app as nicegui_app

        from handoff.demo import DemoCustomers

        customers = DemoCustomers(core)
        core.metrics.gauge("handoff_demo_tasks", "the simulated customers' tasks", customers.tasks)
        nicegui_app.on_startup(customers.start)
        nicegui_app.on_shutdown(customers.stop)
    # No Tailwind: its in-browser compiler ran on every page load (/handoff ready 488 -> 448 ms without it);
    # console.css holds the few utilities the pages use.
    # A page whose socket drops (a network hiccup, a laptop lid, a machine too busy to answer a ping) keeps
    # its state for RECONNECT_SECONDS instead of NiceGUI's 3 s: after that its client is gone and the browser
    # reloads the page, losing the open panel and a reply being typed. With 3 s, 25 busy console pages on a
    # 2-core machine reloaded themselves within a minute (issue 18's note). Presence follows the socket.
    ui.run_with(
        app,
        storage_secret=secret,
        # HttpOnly and SameSite=Lax are Starlette's defaults for the session cookie; Secure behind HTTPS.
        session_middleware_kwargs={"https_only": settings.secure_cookies, "same_site": "lax"},
        title="Handoff",
        show_welcome_message=False,
        tailwind=False,
        reconnect_timeout=RECONNECT_SECONDS,
    )
    print(f"Handoff is serving on http://{settings.host}:{settings.port} (API docs at /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def _copy_database(settings: Settings, args: argparse.Namespace) -> int:
    """`backup --to FILE` and `restore --from FILE`, with SQLite's online backup API (models.copy_sqlite)."""
    import sqlite3

    from models.database import copy_sqlite, sqlite_file

    database = sqlite_file(settings.database_url)
    if database is None:
        print("error: backup and restore are for SQLite; with PostgreSQL use pg_dump", file=sys.stderr)
        return 2
    source, target = (database, Path(args.to)) if args.command == "backup" else (Path(args.source), database)
    if not source.exists():
        print(f"error: no database at {source}", file=sys.stderr)
        return 2
    if args.command == "backup" and target.exists():
        print(f"error: {target} exists; a backup never overwrites a file", file=sys.stderr)
        return 2
    try:
        pages = copy_sqlite(source, target)
    except sqlite3.DatabaseError as error:
        print(f"error: {source} is not a SQLite database Handoff can read: {error}", file=sys.stderr)
        return 2
    print(f"copied {source} to {target} ({pages} pages)")
    return 0


async def _with_core(settings: Settings, args: argparse.Namespace) -> str:
    core = Core.create(settings)
    try:
        await core.db.migrate()
        await core.bus.start()  # with Redis, what a command changes shows live on every server's pages
        if args.command == "detection":
            alarms = await core.false_alarms.recorded(args.detector)
            if args.output is None:
                return as_csv(alarms).rstrip("\n")
            await asyncio.to_thread(Path(args.output).write_text, as_csv(alarms), encoding="utf-8")
            return f"wrote {len(alarms)} false alarms to {args.output}"
        if args.command == "agent":
            return await _agent_command(core, args)
        if args.command == "webhook":
            return await _webhook_command(core, args)
        if args.what == "set":
            return await _set_service(core, args)
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
        return await core.keys.create(slug=args.slug, agent=None)
    finally:
        await core.bus.stop()
        await core.db.dispose()


async def _agent_command(core: Core, args: argparse.Namespace) -> str:
    if args.what == "add":
        agent = await core.accounts.add(
            email=args.email, name=args.name, password=args.password, admin=args.admin
        )
        return str(agent.id)
    accounts = await core.accounts.all(by=None)
    if args.what == "list":
        return "\n".join(
            f"{a.id}\t{a.email}\t{a.display_name}\t{a.role}\t{'active' if a.active else 'deactivated'}"
            f"\t{a.last_seen_at.isoformat(timespec='seconds') if a.last_seen_at else 'never seen'}"
            for a in accounts
        )
    email = args.email.strip().lower()
    account = next((a for a in accounts if a.email == email), None)
    if account is None:
        raise NotFound(f"no account {email}")
    await core.accounts.deactivate(account_id=account.id, by=None)
    return f"deactivated {email}"


async def _webhook_command(core: Core, args: argparse.Namespace) -> str:
    if args.what == "add":
        events = [e.strip() for e in args.events.split(",") if e.strip()] if args.events else None
        hook, secret = await core.webhooks.add(url=args.url, events=events, format=args.format, by=None)
        return f"{hook.id}\nsigning secret: {secret}"
    if args.what == "remove":
        await core.webhooks.remove(webhook_id=args.id, by=None)
        return f"removed webhook {args.id}"
    return "\n".join(
        f"{h.id}\t{h.url}\t{h.format}\t{'on' if h.active else 'off'}\t{','.join(h.events)}"
        for h in await core.webhooks.all(by=None)
    )


async def _set_service(core: Core, args: argparse.Namespace) -> str:
    service = await core.services.get(args.slug)
    settings = core.services.settings_of(service)
    given: dict[str, Any] = {
        "name": args.name,
        "mode": args.mode,
        "negative_threshold": args.negative_threshold,
        "remind_after_seconds": args.remind_after,
        "knowledge_dir": args.knowledge,
        "bot_url": args.bot_url,
    }
    changes = {key: value for key, value in given.items() if value is not None}
    if args.knowledge:
        changes["answered_by"] = "knowledge"
    elif args.bot_url:
        changes["answered_by"] = "bot"
    if args.allowed_origins is not None:
        changes["allowed_origins"] = tuple(o for o in args.allowed_origins.split(",") if o.strip())
    if args.widget_color is not None:
        changes["widget_color"] = args.widget_color or None
    if args.widget_greeting is not None:
        changes["widget_greeting"] = args.widget_greeting or None
    if args.signed_identity is not None:
        changes["signed_identity"] = args.signed_identity == "on"
    update = await core.services.update(slug=args.slug, settings=replace(settings, **changes), agent=None)
    lines = [f"{update.service.slug}: " + (", ".join(f"{k}={v}" for k, v in changes.items()) or "unchanged")]
    if update.new_bot_secret:
        lines.append(f"bot signing secret: {update.new_bot_secret}")
    if update.new_identity_secret:
        lines.append(f"widget identity secret: {update.new_identity_secret}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="main.py", description="Handoff: human handoff for AI customer service"
    )
    commands = root.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="serve the console and the API")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--demo", action="store_true", help="simulated customers that raise every kind of flag")

    backup = commands.add_parser("backup", help="a consistent copy of the SQLite database, while it serves")
    backup.add_argument("--to", required=True, help="the copy's file (must not exist)")
    restore = commands.add_parser("restore", help="a backup in the SQLite database's place (server stopped)")
    restore.add_argument("--from", dest="source", required=True, help="a file made by backup")

    agent = commands.add_parser("agent", help="console accounts")
    agent_commands = agent.add_subparsers(dest="what", required=True)
    add_agent = agent_commands.add_parser("add", help="create a console account; prints its id")
    add_agent.add_argument("--email", required=True)
    add_agent.add_argument("--name", required=True)
    add_agent.add_argument("--password", required=True)
    add_agent.add_argument("--admin", action="store_true")
    agent_commands.add_parser("list", help="every account: id, email, name, role, active, last seen")
    deactivate = agent_commands.add_parser(
        "deactivate", help="the account can no longer log in; its open pages sign out, its conversations go"
    )
    deactivate.add_argument("--email", required=True)

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
    change = service_commands.add_parser("set", help="change a service; live on every open page")
    change.add_argument("--slug", required=True)
    change.add_argument("--name")
    change.add_argument("--mode", choices=["ai_only", "human_supported", "human_only"])
    change.add_argument("--negative-threshold", type=float, help="-1..0")
    change.add_argument("--remind-after", type=int, metavar="SECONDS", help="remind agents after (10..86400)")
    change.add_argument("--knowledge", help="answer from this knowledge folder")
    change.add_argument("--bot-url", help="answer with this external bot (signed POSTs)")
    change.add_argument(
        "--allowed-origins", help="the sites that may embed the chat widget (O,O,...; '' for none)"
    )
    change.add_argument("--widget-color", metavar="#RRGGBB", help="the widget's colour ('' for the default)")
    change.add_argument("--widget-greeting", help="the widget's first words ('' for the default)")
    change.add_argument(
        "--signed-identity", choices=("on", "off"), help="Handoff.identify must be signed (prints the secret)"
    )
    key = service_commands.add_parser("key", help="print a new API key for the service's external bot")
    key.add_argument("--slug", required=True)

    webhook = commands.add_parser("webhook", help="outgoing webhooks: events POSTed, signed, to your URLs")
    webhook_commands = webhook.add_subparsers(dest="what", required=True)
    add_webhook = webhook_commands.add_parser("add", help="prints its id and signing secret (once)")
    add_webhook.add_argument("--url", required=True)
    add_webhook.add_argument("--events", help=f"E,E,... of {', '.join(EVENTS)} (default: all)")
    add_webhook.add_argument("--format", default="json", choices=FORMATS, help="slack: a readable line")
    webhook_commands.add_parser("list", help="every webhook: id, URL, format, on/off, events")
    remove_webhook = webhook_commands.add_parser("remove", help="the webhook and its delivery log")
    remove_webhook.add_argument("--id", type=int, required=True)

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
    if args.command in ("backup", "restore"):
        return _copy_database(settings, args)
    try:
        print(asyncio.run(_with_core(settings, args)))
    except HandoffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
