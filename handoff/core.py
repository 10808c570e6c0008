"""The core's composition: one object holding the database, the bus and every service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from detection import Detector
from handoff.accounts import Accounts
from handoff.board import Board
from handoff.bus import EventBus, InProcessBus
from handoff.conversations import Conversations
from handoff.handoffs import Handoffs
from handoff.services import Services
from handoff.settings import Settings
from handoff.streams import MessageStreams
from models import Database


@dataclass(frozen=True)
class Core:
    settings: Settings
    db: Database
    bus: EventBus
    conversations: Conversations
    handoffs: Handoffs
    services: Services
    board: Board
    accounts: Accounts
    streams: MessageStreams

    @classmethod
    def create(
        cls, settings: Settings, *, bus: EventBus | None = None, detectors: Sequence[Detector] = ()
    ) -> Core:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        bus = bus or InProcessBus()
        return cls(
            settings=settings,
            db=db,
            bus=bus,
            conversations=Conversations(
                db=db, bus=bus, detectors=detectors, max_text_chars=settings.max_text_chars
            ),
            handoffs=Handoffs(db=db, bus=bus, max_text_chars=settings.max_text_chars),
            services=Services(db=db, bus=bus),
            board=Board(db=db),
            accounts=Accounts(db=db),
            streams=MessageStreams(bus),
        )

    async def start(self) -> None:
        """Migrate the schema and start the live feeds."""
        await self.db.migrate()
        self.streams.start()

    async def stop(self) -> None:
        self.streams.stop()
        await self.bus.drain()
        await self.db.dispose()
