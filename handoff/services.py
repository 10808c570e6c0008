"""Services: creating them, their settings and modes (one or all at once), archiving them.

Every change needs an admin, checked against the database in the change's own transaction (`agent=None` is
the operator at the shell). Each lands in the audit log with its before and after values and reaches every
open page as a `ServiceChanged` event (and `ServiceModeChanged` for a mode).
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handoff import outbox, records, widget
from handoff.accounts import acting_admin
from handoff.bus import EventBus
from handoff.errors import Conflict, Invalid, NotFound
from handoff.events import (
    AIResumed,
    ConversationEnded,
    ConversationUpdated,
    Event,
    MessageAdded,
    ServiceAdded,
    ServiceChanged,
    ServiceModeChanged,
)
from handoff.handoffs import RESUMED_TEXT
from handoff.responders.base import ServiceConfig
from handoff.views import (
    ANSWERED_BY,
    DEFAULT_REMIND_AFTER,
    FLAG_KINDS,
    MODES,
    AgentRef,
    AnsweredBy,
    FlagKind,
    Mode,
    ServiceView,
)
from models import Account, Conversation, Database, Service

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
REMIND_AFTER_RANGE = (10, 24 * 3600)
MAX_PHRASES = 50
MAX_PHRASE_CHARS = 100
CLOSED_TEXT = "This conversation has been closed by our team. Thank you for contacting us."


@dataclass(frozen=True, slots=True)
class ServiceSettings:
    """Everything an admin sets on a service's settings page; `Services.update` takes a whole one."""

    name: str
    mode: Mode
    answered_by: AnsweredBy
    knowledge_dir: str | None = None
    bot_url: str | None = None
    negative_threshold: float | None = None
    remind_after_seconds: int = DEFAULT_REMIND_AFTER
    disabled_flags: tuple[FlagKind, ...] = ()
    help_phrases: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()  # the sites that may embed the chat widget
    widget_color: str | None = None
    widget_greeting: str | None = None
    signed_identity: bool = False  # `Handoff.identify` must be signed by the host's server


@dataclass(frozen=True, slots=True)
class ServiceUpdate:
    service: ServiceView
    new_bot_secret: str | None = None  # the bot's signing secret, when this change created it: show once
    new_identity_secret: str | None = None  # the widget's identity secret, when this change created it


class Services:
    """Each method is one transaction, with events after commit."""

    def __init__(
        self,
        *,
        db: Database,
        bus: EventBus,
        knowledge_root: Path | None = None,
        model_available: bool = False,
    ) -> None:
        self._db = db
        self._bus = bus
        self._knowledge_root = knowledge_root or Path("knowledge")
        self.model_available = model_available

    # -- reading -----------------------------------------------------------------------------------------

    async def all(self, *, archived: bool = False) -> list[ServiceView]:
        """The services in the order they were made: the live ones, or with `archived` the archived ones."""
        async with self._db.read() as session:
            query = select(Service).order_by(Service.id)
            query = query.where(
                Service.archived_at.is_not(None) if archived else Service.archived_at.is_(None)
            )
            return [records.service_view(s) for s in await session.scalars(query)]

    async def get(self, slug: str) -> ServiceView:
        async with self._db.read() as session:
            return records.service_view(await _service(session, slug))

    async def config(self, slug: str) -> ServiceConfig:
        """How the service's AI answers: its knowledge folder, its bot's URL and signing secret, a model."""
        async with self._db.read() as session:
            service = await _service(session, slug)
            return ServiceConfig(
                slug=service.slug,
                name=service.name,
                knowledge_dir=service.knowledge_dir,
                bot_url=service.bot_url,
                bot_secret=service.bot_secret,
                answered_by=self.answered_by(records.service_view(service)),
            )

    def settings_of(self, service: ServiceView) -> ServiceSettings:
        """The service's settings as its page edits them."""
        return ServiceSettings(
            name=service.name,
            mode=service.mode,
            answered_by=self.answered_by(service),
            knowledge_dir=service.knowledge_dir,
            bot_url=service.bot_url,
            negative_threshold=service.negative_threshold,
            remind_after_seconds=service.remind_after_seconds,
            disabled_flags=service.disabled_flags,
            help_phrases=service.help_phrases,
            allowed_origins=service.allowed_origins,
            widget_color=service.widget_color,
            widget_greeting=service.widget_greeting,
            signed_identity=service.signed_identity,
        )

    def answered_by(self, service: ServiceView) -> AnsweredBy:
        """Which AI answers the service's customers (for services made before it was a setting, the one that
        always has: its bot URL, else the configured model, else its knowledge)."""
        if service.answered_by is not None:
            return service.answered_by
        return _answering(service.bot_url, service.knowledge_dir, model=self.model_available)

    def knowledge_folder(self, slug: str) -> Path:
        """Where a service whose knowledge is written in the console keeps its files."""
        return self._knowledge_root / slug

    async def held_count(self, slugs: Sequence[str]) -> int:
        """How many active conversations of these services a human holds or has paused (for confirmation)."""
        async with self._db.read() as session:
            return (
                await session.scalar(
                    select(func.count())
                    .select_from(Conversation)
                    .join(Service, Service.id == Conversation.service_id)
                    .where(
                        Service.slug.in_(slugs),
                        Conversation.ended_at.is_(None),
                        Conversation.status == "paused",
                    )
                )
                or 0
            )

    # -- creating and changing ---------------------------------------------------------------------------

    async def add(
        self,
        *,
        slug: str,
        name: str,
        mode: Mode | str = "human_supported",
        knowledge_dir: str | None = None,
        negative_threshold: float | None = None,
        bot_url: str | None = None,
        answered_by: AnsweredBy | None = None,
        agent: AgentRef | None = None,
    ) -> ServiceView:
        """A new service. `answered_by="knowledge"` without a folder gives it one under the knowledge root,
        for knowledge written in the console."""
        slug = slug.strip()
        if not SLUG.match(slug):
            raise Invalid(
                "a slug is lowercase letters, digits and dashes (not first), at most 64 characters",
                field="slug",
            )
        if answered_by is None:
            answered_by = _answering(bot_url, knowledge_dir, model=self.model_available)
        settings = self._checked(
            slug,
            ServiceSettings(
                name=name,
                mode=cast(Mode, mode),
                answered_by=answered_by,
                knowledge_dir=knowledge_dir,
                bot_url=bot_url,
                negative_threshold=negative_threshold,
            ),
        )
        try:
            async with self._db.write() as session:
                acting = await acting_admin(session, agent)
                service = Service(slug=slug, created_at=records.utcnow())
                _apply(service, settings)
                service.bot_secret = secrets.token_urlsafe(32) if settings.bot_url else None
                session.add(service)
                await session.flush()
                view = records.service_view(service)
                _audit(
                    session,
                    "service_added",
                    acting,
                    service,
                    after=_audited(settings),
                )
        except IntegrityError:
            raise Conflict(f"a service {slug!r} already exists", field="slug") from None
        await self._bus.publish(ServiceAdded(view))
        return view

    async def update(self, *, slug: str, settings: ServiceSettings, agent: AgentRef | None) -> ServiceUpdate:
        """Save a service's settings. A mode of AI Only hands its paused conversations back to the AI, each
        customer told; a first bot URL creates the bot's signing secret (returned once)."""
        settings = self._checked(slug, settings)
        events: list[Event] = []
        new_secret = new_identity_secret = None
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service = await _service(session, slug, lock=True)
            before = records.service_view(service)
            previous = self.settings_of(before)
            if settings.mode != service.mode:
                events += await _change_mode(session, service, settings.mode, agent)
            _apply(service, settings)
            if settings.bot_url and not service.bot_secret:
                new_secret = service.bot_secret = secrets.token_urlsafe(32)
            if settings.signed_identity and not service.identity_secret:
                new_identity_secret = service.identity_secret = secrets.token_urlsafe(32)
            after = records.service_view(service)
            changed = _differences(previous, settings)
            if changed:
                _audit(session, "service_changed", acting, service, changes=changed)
            await outbox.stage_async(session, events)
        if before != after:
            events.insert(0, ServiceChanged(before, after, agent.id if agent else None))
        await self._publish(events)
        return ServiceUpdate(after, new_secret, new_identity_secret)

    async def rotate_bot_secret(self, *, slug: str, agent: AgentRef | None) -> str:
        """A new signing secret for the service's bot webhook (the old one stops working): show it once."""
        secret, view = await self._new_secret(slug, agent, "bot_secret")
        await self._publish([ServiceChanged(view, view, agent.id if agent else None)])  # the AI re-reads it
        return secret

    async def rotate_identity_secret(self, *, slug: str, agent: AgentRef | None) -> str:
        """A new secret for the chat widget's signed identities (signatures made with the old one stop
        being accepted): show it once."""
        secret, _ = await self._new_secret(slug, agent, "identity_secret")
        return secret

    async def _new_secret(
        self, slug: str, agent: AgentRef | None, column: Literal["bot_secret", "identity_secret"]
    ) -> tuple[str, ServiceView]:
        """A new random secret in `column` (admins only), audited as "<column>_rotated"."""
        secret = secrets.token_urlsafe(32)
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service = await _service(session, slug, lock=True)
            setattr(service, column, secret)
            _audit(session, f"{column}_rotated", acting, service)
            return secret, records.service_view(service)

    async def archive(self, *, slug: str, agent: AgentRef | None, end_live: bool = False) -> ServiceView:
        """Take the service off the console and the chat. Refused while it has live conversations, unless
        `end_live`: then each ends, its customer told."""
        events: list[Event] = []
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service = await _service(session, slug, lock=True)
            before = records.service_view(service)
            if service.archived_at is not None:
                return before
            live = list(
                await session.scalars(
                    select(Conversation.id)
                    .where(Conversation.service_id == service.id, Conversation.ended_at.is_(None))
                    .order_by(Conversation.id)
                )
            )
            if live and not end_live:
                noun = "conversation" if len(live) == 1 else "conversations"
                raise Conflict(f"{service.name} has {len(live)} live {noun}: end them to archive it")
            for conversation_id in live:
                events += await _close(session, conversation_id)
            service.archived_at = records.utcnow()
            _audit(
                session,
                "service_archived",
                acting,
                service,
                ended_conversations=len(live),
            )
            after = records.service_view(service)
            await outbox.stage_async(session, events)
        await self._publish([*events, ServiceChanged(before, after, agent.id if agent else None)])
        return after

    async def restore(self, *, slug: str, agent: AgentRef | None) -> ServiceView:
        """Bring an archived service back to the console and the chat."""
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service = await _service(session, slug, lock=True)
            before = records.service_view(service)
            service.archived_at = None
            _audit(
                session,
                "service_restored",
                acting,
                service,
            )
            after = records.service_view(service)
        if before != after:
            await self._publish([ServiceChanged(before, after, agent.id if agent else None)])
        return after

    async def set_mode(self, *, slug: str, mode: str, agent: AgentRef | None) -> ServiceView:
        """Change one service's mode. Only admins (or the server itself, agent=None) may.

        Switching to AI Only hands the service's paused conversations back to the AI, telling each customer.
        """
        return (await self._set_modes(mode=mode, agent=agent, slugs=[slug]))[0]

    async def set_all_modes(self, *, mode: str, agent: AgentRef | None) -> list[ServiceView]:
        """Set all (live) services to one mode at once."""
        return await self._set_modes(mode=mode, agent=agent, slugs=None)

    async def _set_modes(
        self, *, mode: str, agent: AgentRef | None, slugs: list[str] | None
    ) -> list[ServiceView]:
        _check_mode(mode)
        events: list[Event] = []
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            query = select(Service).order_by(Service.id).with_for_update()
            if slugs is not None:
                query = query.where(Service.slug.in_(slugs))
            else:
                query = query.where(Service.archived_at.is_(None))
            services = list(await session.scalars(query))
            if slugs is not None and not services:
                raise NotFound(f"no service {slugs[0]!r}")
            for service in services:
                if service.mode == mode:
                    continue
                before = records.service_view(service)
                changed = await _change_mode(session, service, cast(Mode, mode), agent)
                _audit(session, "set_mode", acting, service, mode=mode, previous=before.mode)
                after = records.service_view(service)
                events += [ServiceChanged(before, after, agent.id if agent else None), *changed]
            views = [records.service_view(s) for s in services]
            await outbox.stage_async(session, events)
        await self._publish(events)
        return views

    # -- validation --------------------------------------------------------------------------------------

    def _checked(self, slug: str, settings: ServiceSettings) -> ServiceSettings:
        """The settings cleaned (names and phrases trimmed), or Invalid naming the field at fault."""
        name = settings.name.strip()
        if not name:
            raise Invalid("a service needs a name", field="name")
        if len(name) > 200:
            raise Invalid("a name is at most 200 characters", field="name")
        if (bad := records.unstorable(name)) is not None:
            raise Invalid(f"a name must not contain {bad}", field="name")
        _check_mode(settings.mode)
        if settings.answered_by not in ANSWERED_BY:
            raise Invalid(f"the AI is one of {', '.join(ANSWERED_BY)}", field="answered_by")
        if settings.answered_by == "model" and not self.model_available:
            raise Invalid(
                "no OpenAI-compatible model is configured (HANDOFF_OPENAI_BASE_URL)", field="answered_by"
            )
        bot_url = (settings.bot_url or "").strip() or None
        if bot_url is not None:
            parts = urlsplit(bot_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or len(bot_url) > 2000:
                raise Invalid("a bot URL starts with http:// or https:// and names a host", field="bot_url")
        threshold = settings.negative_threshold
        if threshold is not None and (not math.isfinite(threshold) or not -1.0 <= threshold <= 0.0):
            raise Invalid("a Negative Feedback threshold is between -1 and 0", field="negative_threshold")
        low, high = REMIND_AFTER_RANGE
        if not low <= settings.remind_after_seconds <= high:
            raise Invalid(f"remind after {low} to {high} seconds", field="remind_after_seconds")
        unknown = set(settings.disabled_flags) - set(FLAG_KINDS)
        if unknown:
            raise Invalid(f"no flag kind {sorted(unknown)[0]!r}", field="disabled_flags")
        knowledge_dir = settings.knowledge_dir
        if settings.answered_by == "knowledge" and not knowledge_dir:
            knowledge_dir = str(self.knowledge_folder(slug))
        return replace(
            settings,
            name=name,
            bot_url=bot_url,
            knowledge_dir=knowledge_dir,
            disabled_flags=tuple(k for k in FLAG_KINDS if k in settings.disabled_flags),
            help_phrases=_phrases(settings.help_phrases),
            allowed_origins=widget.check_origins(settings.allowed_origins),
            widget_color=widget.check_color(settings.widget_color),
            widget_greeting=widget.check_greeting(settings.widget_greeting),
        )

    async def _publish(self, events: Sequence[Event]) -> None:
        for event in events:
            await self._bus.publish(event)


def _answering(bot_url: str | None, knowledge_dir: str | None, *, model: bool) -> AnsweredBy:
    """Which AI answers a service that has not chosen, as services always have: its bot URL, else the
    configured model, else its knowledge folder, else an external bot posting through the API."""
    if bot_url:
        return "bot"
    if model:
        return "model"
    return "knowledge" if knowledge_dir else "bot"


def _audit(
    session: AsyncSession, action: str, acting: Account | None, service: Service, **details: Any
) -> None:
    records.audit(
        session, action=action, account_id=acting.id if acting else None, service_id=service.id, **details
    )


def _phrases(phrases: Sequence[str]) -> tuple[str, ...]:
    """Trimmed, without repeats (ignoring case), each a few words."""
    kept: dict[str, str] = {}
    for phrase in phrases:
        phrase = " ".join(phrase.split())
        if not phrase:
            continue
        if len(phrase) > MAX_PHRASE_CHARS:
            raise Invalid(f"a trigger phrase is at most {MAX_PHRASE_CHARS} characters", field="help_phrases")
        kept.setdefault(phrase.lower(), phrase)
    if len(kept) > MAX_PHRASES:
        raise Invalid(f"at most {MAX_PHRASES} trigger phrases", field="help_phrases")
    return tuple(kept.values())


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise Invalid(f"a mode is one of {', '.join(MODES)}", field="mode")


def _apply(service: Service, settings: ServiceSettings) -> None:
    service.name = settings.name
    service.mode = settings.mode
    service.answered_by = settings.answered_by
    service.knowledge_dir = settings.knowledge_dir
    service.bot_url = settings.bot_url
    service.negative_threshold = settings.negative_threshold
    service.remind_after_seconds = settings.remind_after_seconds
    service.disabled_flags = list(settings.disabled_flags) or None
    service.help_phrases = list(settings.help_phrases) or None
    service.allowed_origins = list(settings.allowed_origins) or None
    service.widget_color = settings.widget_color
    service.widget_greeting = settings.widget_greeting
    service.signed_identity = settings.signed_identity


def _audited(settings: ServiceSettings) -> dict[str, Any]:
    return {f.name: _plain(getattr(settings, f.name)) for f in fields(settings)}


def _differences(before: ServiceSettings, after: ServiceSettings) -> dict[str, dict[str, Any]]:
    """{field: {"before": ..., "after": ...}} for each field that changed."""
    old, new = _audited(before), _audited(after)
    return {name: {"before": old[name], "after": new[name]} for name in old if old[name] != new[name]}


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


async def _service(session: AsyncSession, slug: str, *, lock: bool = False) -> Service:
    query = select(Service).where(Service.slug == slug)
    service = await session.scalar(query.with_for_update() if lock else query)
    if service is None:
        raise NotFound(f"no service {slug!r}")
    return service


async def _change_mode(
    session: AsyncSession, service: Service, mode: Mode, agent: AgentRef | None
) -> list[Event]:
    previous = service.mode
    service.mode = mode
    events = await _hand_back_to_ai(session, service, agent) if mode == "ai_only" else []
    events.append(
        ServiceModeChanged(records.service_view(service), cast(Mode, previous), agent.id if agent else None)
    )
    return events


async def _hand_back_to_ai(session: AsyncSession, service: Service, agent: AgentRef | None) -> list[Event]:
    events: list[Event] = []
    paused = await session.scalars(
        select(Conversation.id).where(
            Conversation.service_id == service.id,
            Conversation.ended_at.is_(None),
            Conversation.status == "paused",
        )
    )
    for conversation_id in list(paused):
        locked = await records.lock_conversation(session, conversation_id)
        before = locked.card()
        locked.conversation.status = "ai_active"
        locked.claim(None)
        message = records.add_message(session, locked, role="system", text=RESUMED_TEXT)
        await session.flush()  # the message's id, for its event
        after = locked.card()
        events += [
            MessageAdded(records.message_view(message), after),
            AIResumed(after, agent.id if agent else None),
            ConversationUpdated(before, after),
        ]
    return events


async def _close(session: AsyncSession, conversation_id: str) -> list[Event]:
    """End a live conversation of a service being archived, telling its customer."""
    locked = await records.lock_conversation(session, conversation_id)
    before = locked.card()
    message = records.add_message(session, locked, role="system", text=CLOSED_TEXT)
    locked.conversation.ended_at = records.utcnow()
    await session.flush()  # the message's id, for its event
    after = locked.card()
    return [
        MessageAdded(records.message_view(message), after),
        ConversationEnded(after),
        ConversationUpdated(before, after),
    ]
