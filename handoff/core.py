"""The core's composition: one object holding the database, the bus and every service."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from detection import Detector
from handoff.accounts import Accounts
from handoff.audit import AuditLog
from handoff.board import Board
from handoff.bus import EventBus, InProcessBus
from handoff.canned_replies import CannedReplies
from handoff.conversations import Conversations
from handoff.false_alarms import FalseAlarms
from handoff.handoffs import Handoffs
from handoff.history import History
from handoff.knowledge_admin import KnowledgeAdmin
from handoff.location import Locator
from handoff.logs import EventLog
from handoff.metrics import Metrics
from handoff.notes import Notes
from handoff.presence import Presence
from handoff.ratelimit import Limiter, RateLimiter, RedisRateLimiter
from handoff.reports import Reports
from handoff.responders.external_bot import ExternalBotResponder
from handoff.responders.knowledge import KnowledgeCache, KnowledgeResponder
from handoff.responders.openai_compatible import OpenAICompatibleResponder
from handoff.responders.worker import ResponderWorker
from handoff.retention import Retention
from handoff.service_keys import ServiceKeys
from handoff.services import Services
from handoff.settings import Settings
from handoff.streams import MessageStreams
from handoff.tuning import ThresholdPreview
from handoff.webhooks import AddressGuard, Webhooks, WebhookWorker
from handoff.widget import Widget
from models import Database


@dataclass(frozen=True)
class Core:
    settings: Settings
    db: Database
    bus: EventBus
    conversations: Conversations
    handoffs: Handoffs
    services: Services
    keys: ServiceKeys
    knowledge: KnowledgeAdmin
    tuning: ThresholdPreview
    board: Board
    accounts: Accounts
    false_alarms: FalseAlarms
    streams: MessageStreams
    responders: ResponderWorker
    locator: Locator
    chat_limiter: Limiter
    notes: Notes
    canned_replies: CannedReplies
    presence: Presence
    history: History
    reports: Reports
    audit: AuditLog
    retention: Retention
    metrics: Metrics
    webhooks: Webhooks
    webhook_worker: WebhookWorker
    event_log: EventLog
    widget: Widget

    @classmethod
    def create(
        cls, settings: Settings, *, bus: EventBus | None = None, detectors: Sequence[Detector] = ()
    ) -> Core:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        if bus is None and settings.redis_url:
            from handoff.redis_bus import RedisBus  # only a scaled-out server needs the Redis client

            bus = RedisBus(settings.redis_url, stream=settings.redis_key_prefix + "events")
        bus = bus or InProcessBus()
        conversations = Conversations(
            db=db, bus=bus, detectors=detectors, max_text_chars=settings.max_text_chars
        )
        services = Services(
            db=db,
            bus=bus,
            knowledge_root=Path(settings.knowledge_root),
            model_available=bool(settings.openai_base_url),
        )
        knowledge = KnowledgeCache()
        built_in = KnowledgeResponder(knowledge)
        model = None
        if settings.openai_base_url:
            model = OpenAICompatibleResponder(
                base_url=settings.openai_base_url,
                model=settings.openai_model,
                api_key=settings.openai_api_key,
                knowledge=knowledge,
            )
        streams = MessageStreams(
            bus,
            per_conversation=settings.streams_per_conversation,
            per_address=settings.streams_per_address,
        )
        presence = Presence(bus)
        board = Board(db=db)
        guard = AddressGuard(allow_private=settings.webhook_allow_private_addresses)
        worker = WebhookWorker(
            db=db,
            guard=guard,
            attempts=settings.webhook_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
            log_days=settings.webhook_log_days,
            console_url=settings.public_url or f"http://{settings.host}:{settings.port}",
        )
        return cls(
            settings=settings,
            db=db,
            bus=bus,
            conversations=conversations,
            handoffs=Handoffs(db=db, bus=bus, max_text_chars=settings.max_text_chars),
            services=services,
            keys=ServiceKeys(db=db, bus=bus),
            knowledge=KnowledgeAdmin(db=db, bus=bus, responder=built_in),
            tuning=ThresholdPreview(db=db, detectors=detectors),
            board=board,
            accounts=Accounts(db=db, bus=bus),
            false_alarms=FalseAlarms(db=db),
            streams=streams,
            responders=ResponderWorker(
                conversations=conversations,
                services=services,
                knowledge=built_in,
                model=model,
                bot=ExternalBotResponder(
                    attempts=settings.bot_attempts, backoff_seconds=settings.bot_backoff_seconds
                ),
            ),
            locator=Locator(database=settings.geoip_database, trusted_proxies=settings.trusted_proxies),
            chat_limiter=(
                RedisRateLimiter(
                    settings.redis_url,
                    per_minute=settings.chat_messages_per_minute,
                    prefix=settings.redis_key_prefix + "chat:",
                )
                if settings.redis_url
                else RateLimiter(per_minute=settings.chat_messages_per_minute)
            ),
            notes=Notes(db=db, bus=bus, max_text_chars=settings.max_text_chars),
            canned_replies=CannedReplies(db=db, bus=bus, max_text_chars=settings.max_text_chars),
            presence=presence,
            history=History(db=db),
            reports=Reports(db=db),
            audit=AuditLog(db=db),
            retention=Retention(db=db),
            metrics=Metrics(bus=bus, board=board, streams=streams, presence=presence, webhooks=worker),
            webhooks=Webhooks(db=db, bus=bus, guard=guard),
            webhook_worker=worker,
            event_log=EventLog(),
            widget=Widget(db=db, services=services),
        )

    async def start(self) -> None:
        """Migrate the schema, open the location database and start the live feeds and the AI."""
        await self.db.migrate()
        await asyncio.to_thread(self.locator.open)
        await self.bus.start()
        self.presence.start()
        self.streams.start()
        self.responders.start(self.bus)
        self.retention.start()
        self.webhook_worker.start(self.bus)
        self.metrics.start(self.bus)
        self.event_log.start(self.bus)

    async def stop(self) -> None:
        self.event_log.stop()
        self.metrics.stop()
        await self.webhook_worker.stop()
        await self.presence.stop()
        await self.retention.stop()
        self.responders.stop()
        self.streams.stop()
        if isinstance(self.chat_limiter, RedisRateLimiter):
            await self.chat_limiter.close()
        await self.bus.stop()
        await self.bus.drain()
        self.locator.close()
        await self.db.dispose()
