"""API keys for a service's external bot: created (shown once), listed with their last use, revoked.

Only a key's SHA-256 and its first characters are kept. Managing keys needs an admin (`agent=None` is the
operator at the shell).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update

from handoff import records
from handoff.accounts import acting_admin
from handoff.bus import EventBus
from handoff.conversations import hash_secret
from handoff.errors import Invalid, NotFound
from handoff.events import ApiKeysChanged
from handoff.views import AgentRef, ApiKeyView, ServiceView
from models import ApiKey, Database, Service

USED_EVERY = timedelta(minutes=1)  # a key's last use is written at most this often
MAX_LABEL = 100


class ServiceKeys:
    def __init__(self, *, db: Database, bus: EventBus) -> None:
        self._db = db
        self._bus = bus

    async def create(self, *, slug: str, label: str = "", agent: AgentRef | None) -> str:
        """A new key for the service's external bot. Only its hash is kept: show it once."""
        label = " ".join(label.split())
        if len(label) > MAX_LABEL:
            raise Invalid(f"a label is at most {MAX_LABEL} characters", field="label")
        key = "hk_" + secrets.token_urlsafe(32)
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            service = await session.scalar(select(Service).where(Service.slug == slug))
            if service is None:
                raise NotFound(f"no service {slug!r}")
            row = ApiKey(
                service_id=service.id,
                key_hash=hash_secret(key),
                prefix=key[:10],
                label=label or None,
                created_at=records.utcnow(),
            )
            session.add(row)
            await session.flush()
            records.audit(
                session,
                action="api_key_created",
                account_id=acting.id if acting else None,
                service_id=service.id,
                key_id=row.id,
                label=label,
            )
        await self._bus.publish(ApiKeysChanged(slug))
        return key

    async def listed(self, *, slug: str, agent: AgentRef | None) -> list[ApiKeyView]:
        """The service's keys, newest first, revoked ones included."""
        async with self._db.read() as session:
            await acting_admin(session, agent)
            keys = await session.scalars(
                select(ApiKey)
                .join(Service, Service.id == ApiKey.service_id)
                .where(Service.slug == slug)
                .order_by(ApiKey.id.desc())
            )
            return [
                ApiKeyView(
                    id=k.id,
                    label=k.label or "",
                    prefix=k.prefix,
                    created_at=k.created_at,
                    last_used_at=k.last_used_at,
                    revoked_at=k.revoked_at,
                )
                for k in keys
            ]

    async def revoke(self, *, slug: str, key_id: int, agent: AgentRef | None) -> None:
        """The key stops working at once."""
        async with self._db.write() as session:
            acting = await acting_admin(session, agent)
            key = await session.scalar(
                select(ApiKey)
                .join(Service, Service.id == ApiKey.service_id)
                .where(Service.slug == slug, ApiKey.id == key_id)
            )
            if key is None:
                raise NotFound("no such key for this service")
            if key.revoked_at is not None:
                return
            key.revoked_at = records.utcnow()
            records.audit(
                session,
                action="api_key_revoked",
                account_id=acting.id if acting else None,
                service_id=key.service_id,
                key_id=key.id,
            )
        await self._bus.publish(ApiKeysChanged(slug))

    async def service_for(self, key: str) -> ServiceView | None:
        """The live service a bot's key opens (noting its use), or None."""
        async with self._db.read() as session:
            row = (
                await session.execute(
                    select(Service, ApiKey.id, ApiKey.last_used_at)
                    .join(ApiKey, ApiKey.service_id == Service.id)
                    .where(
                        ApiKey.key_hash == hash_secret(key),
                        ApiKey.revoked_at.is_(None),
                        Service.archived_at.is_(None),
                    )
                )
            ).first()
        if row is None:
            return None
        service, key_id, last_used = row
        now = records.utcnow()
        if last_used is None or now - last_used >= USED_EVERY:
            async with self._db.write() as session:
                await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        return records.service_view(service)
