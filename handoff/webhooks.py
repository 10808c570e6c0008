"""Outgoing webhooks: the endpoints (admins only), their delivery log, and the worker that sends the outbox.

The outbox (`handoff.outbox`) holds one row per event per endpoint, written with the change. The worker claims
due rows with a lease (a compare-and-set on `claimed_until`, so two processes on one database never send one
row at once, and a process that dies mid-attempt lets its lease lapse), POSTs each signed, and records the
answer: a 2xx is delivered; a timeout, a connection error, 429 or 5xx is tried again after a growing delay
with jitter, up to the configured attempts, then the delivery is dead; any other answer is final. Per
endpoint, the deliveries of one conversation (or one service) go out in order: one waits while an earlier one
is still pending.

No server-side request forgery: a URL whose host resolves to a loopback, private, link-local or otherwise
special address is refused when added and when sent to (the name is resolved once per attempt and the
connection goes to the address that was checked), unless the operator allows it
(`HANDOFF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES`). Redirects are not followed; an answer is read to a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handoff import records
from handoff.accounts import acting_admin
from handoff.bus import EventBus, Subscription
from handoff.errors import Invalid, NotFound
from handoff.events import Event, WebhooksChanged
from handoff.outbox import EVENTS, FORMATS, new_delivery, slack_text, tells
from handoff.responders.external_bot import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from handoff.views import AgentRef
from models import Account, Database, Webhook, WebhookDelivery

log = logging.getLogger(__name__)
EVENT_HEADER = "X-Handoff-Event"
DELIVERY_HEADER = "X-Handoff-Delivery"
ANSWER_LIMIT = 64 * 1024  # bytes of an answer read; the log keeps the first ANSWER_KEPT characters
ANSWER_KEPT = 500
MAX_DELAY_SECONDS = 3600.0
OUTCOMES = ("delivered", "retried", "dead")
PRUNE_EVERY = timedelta(hours=1)
GATHER_SECONDS = 0.1
# With no active endpoint, how often the worker looks for one: events don't wake it then, and an endpoint
# added by a process whose WebhooksChanged can't reach this one (the CLI, without a shared Redis) is found,
# with whatever was staged for it meanwhile, within this.
RECHECK_SECONDS = 2.0
ROUND = 500  # deliveries looked at per round
CHAIN = 50  # of one conversation per round


class RefusedAddress(Invalid):
    """The URL's host is (or resolves to) an address a webhook may not reach."""


@dataclass(frozen=True, slots=True)
class WebhookView:
    id: int
    url: str
    events: tuple[str, ...]
    format: str
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: str
    webhook_id: int
    event: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_answer: str | None
    redelivery_of: str | None


def _view(row: Webhook) -> WebhookView:
    return WebhookView(row.id, row.url, tuple(row.events), row.format, row.active, row.created_at)


def _delivery_view(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        row.id,
        row.webhook_id,
        row.event,
        row.status,
        row.attempts,
        row.created_at,
        row.next_attempt_at,
        row.last_attempt_at,
        row.last_status,
        row.last_answer,
        row.redelivery_of,
    )


def _special(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _special(address.ipv4_mapped)
    return not address.is_global or address.is_multicast


class AddressGuard:
    """Resolves a webhook URL's host and says which address to connect to, or refuses it."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    async def address_for(self, url: str) -> str:
        """The address to connect to for `url` (resolved now), or RefusedAddress."""
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise RefusedAddress(f"{host} does not resolve to an address", field="url") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        special = [a for a in addresses if _special(a)]
        if special and not self.allow_private:
            raise RefusedAddress(
                f"{host} resolves to {special[0]}, a loopback, private or link-local address: webhooks may "
                "not reach those unless the server allows them (HANDOFF_WEBHOOK_ALLOW_PRIVATE_ADDRESSES)",
                field="url",
            )
        return str(addresses[0])


def check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("a webhook URL starts with https:// (or http://) and names a host", field="url")
    if len(url) > 2000 or records.unstorable(url) or parts.username or parts.password:
        raise Invalid("a webhook URL is at most 2,000 characters, with no user name or password", field="url")
    return url


def check_events(events: Sequence[str] | None) -> list[str]:
    if not events:
        return list(EVENTS)
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise Invalid(f"unknown events {', '.join(unknown)}: choose from {', '.join(EVENTS)}", field="events")
    return [event for event in EVENTS if event in events]


class Webhooks:
    """The endpoints and their delivery log. Changing them is for admins (or the operator, by=None)."""

    def __init__(self, *, db: Database, bus: EventBus, guard: AddressGuard) -> None:
        self._db = db
        self._bus = bus
        self._guard = guard

    async def add(
        self, *, url: str, events: Sequence[str] | None = None, format: str = "json", by: AgentRef | None
    ) -> tuple[WebhookView, str]:
        """A new endpoint and its signing secret (shown once)."""
        url, wanted = check_url(url), check_events(events)
        if format not in FORMATS:
            raise Invalid(f"a webhook's format is one of {', '.join(FORMATS)}", field="format")
        await self._guard.address_for(url)
        secret = secrets.token_urlsafe(32)
        async with self._db.write() as session:
            acting = await acting_admin(session, by)
            row = Webhook(
                url=url, events=wanted, secret=secret, format=format, active=True, created_at=records.utcnow()
            )
            session.add(row)
            await session.flush()
            _audit(session, acting, "webhook_added", url=url, id=row.id)
            view = _view(row)
        await self._bus.publish(WebhooksChanged(view.id))
        return view, secret

    async def all(self, *, by: AgentRef | None) -> list[WebhookView]:
        async with self._db.read() as session:
            await acting_admin(session, by)
            return [_view(row) for row in await session.scalars(select(Webhook).order_by(Webhook.id))]

    async def remove(self, *, webhook_id: int, by: AgentRef | None) -> None:
        """The endpoint and its delivery log are gone; nothing more is sent to it."""
        async with self._db.write() as session:
            acting = await acting_admin(session, by)
            row = await self._get(session, webhook_id)
            await session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id))
            await session.delete(row)
            _audit(session, acting, "webhook_removed", url=row.url)

    async def set_active(self, *, webhook_id: int, active: bool, by: AgentRef | None) -> WebhookView:
        """Off: no new deliveries are made for it, and what waits is held until it is on again."""
        async with self._db.write() as session:
            acting = await acting_admin(session, by)
            row = await self._get(session, webhook_id)
            row.active = active
            _audit(session, acting, "webhook_enabled" if active else "webhook_disabled", url=row.url)
            view = _view(row)
        await self._bus.publish(WebhooksChanged(view.id))
        return view

    async def rotate_secret(self, *, webhook_id: int, by: AgentRef | None) -> str:
        """A new signing secret (shown once); every later attempt is signed with it."""
        async with self._db.write() as session:
            acting = await acting_admin(session, by)
            row = await self._get(session, webhook_id)
            row.secret = secrets.token_urlsafe(32)
            _audit(session, acting, "webhook_secret_rotated", url=row.url)
            return row.secret

    async def deliveries(
        self, *, webhook_id: int, by: AgentRef | None, limit: int = 50
    ) -> list[DeliveryView]:
        """The endpoint's latest deliveries, newest first."""
        async with self._db.read() as session:
            await acting_admin(session, by)
            rows = await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.seq.desc())
                .limit(limit)
            )
            return [_delivery_view(row) for row in rows]

    async def redeliver(self, *, delivery_id: str, by: AgentRef | None) -> DeliveryView:
        """Send a delivery's body again, as a new delivery (a new id, `redelivery_of` the old one)."""
        async with self._db.write() as session:
            acting = await acting_admin(session, by)
            old = await session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
            if old is None:
                raise NotFound("no such delivery")
            payload = json.loads(old.body)  # the same event and data, as a new delivery
            happened_at = datetime.fromisoformat(payload["created_at"])
            row = new_delivery(
                old.webhook_id,
                old.event,
                old.ordering_key,
                happened_at,
                payload["data"],
                redelivery_of=old.id,
            )
            session.add(row)
            _audit(session, acting, "webhook_redelivered", delivery=old.id)
            await session.flush()
            view = _delivery_view(row)
        await self._bus.publish(WebhooksChanged(view.webhook_id))
        return view

    @staticmethod
    async def _get(session: AsyncSession, webhook_id: int) -> Webhook:
        row = await session.get(Webhook, webhook_id)
        if row is None:
            raise NotFound(f"no webhook {webhook_id}")
        return row


def _audit(session: AsyncSession, acting: Account | None, action: str, **details: Any) -> None:
    """An admin's (or, None, the operator's) change to the webhooks, in the audit log."""
    records.audit(session, action=action, account_id=acting.id if acting else None, **details)


@dataclass(frozen=True, slots=True)
class _Due:
    seq: int
    id: str
    event: str
    body: str
    attempts: int
    url: str
    secret: str
    format: str


@dataclass(frozen=True, slots=True)
class _Answer:
    outcome: str  # delivered, retried or dead
    status: int | None
    text: str
    retry_after: float | None = None


class WebhookWorker:
    """Sends the outbox. Woken by every event published in this process, and at the next due retry."""

    def __init__(
        self,
        *,
        db: Database,
        guard: AddressGuard,
        attempts: int = 8,
        backoff_seconds: float = 10.0,
        timeout_seconds: float = 10.0,
        console_url: str = "http://127.0.0.1:8080",
        log_days: int = 30,
        parallel: int = 8,
        clock: Callable[[], datetime] = records.utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._db = db
        self._guard = guard
        self._attempts = max(1, attempts)
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._console_url = console_url
        self._log_days = log_days
        self._pruned_at: datetime | None = None
        self._parallel = parallel
        self._clock = clock
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscriptions: list[Subscription] = []
        # Whether an active endpoint exists, as the last look found (None: not known, or changed since). With
        # none, no event wakes the worker (it looks again every RECHECK_SECONDS): before, every event (a
        # card's, a page's presence) cost the server two queries a few times a second on a console that has no
        # webhook at all.
        self._endpoints: bool | None = None
        self._endpoints_changed = 0  # WebhooksChanged heard so far: a look older than the last is not kept
        self.outcomes: Counter[str] = Counter()
        self.looks = 0  # for tests and benchmarks: how many times the outbox was looked at for due deliveries

    def start(self, bus: EventBus) -> None:
        self._client = httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, trust_env=False, transport=self._transport
        )
        self._subscriptions = [
            # Deliveries are staged by the process that made the event: its own events wake its worker.
            bus.subscribe(Event, self._on_event, local_only=True),
            # Endpoints added, switched on or redelivered to, in any process.
            bus.subscribe(WebhooksChanged, self._on_webhooks_changed),
        ]
        self._task = asyncio.create_task(self._run(), name="webhook-worker")

    def wakes_for(self, event: Event) -> bool:
        """Whether `event` may have given the worker something to send: one a webhook can be told about, while
        an active endpoint exists (or may: not looked at yet, or changed since)."""
        return tells(event) and self._endpoints is not False

    def _on_event(self, event: Event) -> None:
        if self.wakes_for(event):
            self._wake.set()

    def _on_webhooks_changed(self, _event: WebhooksChanged) -> None:
        self._endpoints_changed += 1
        self._endpoints = None
        self._wake.set()

    async def _any_endpoint(self) -> bool:
        changed = self._endpoints_changed
        async with self._db.read() as session:
            found = bool(await session.scalar(select(exists().where(Webhook.active.is_(True)))))
        if changed == self._endpoints_changed:  # else a change came while looking: look again when woken
            self._endpoints = found
        return found

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.unsubscribe()
        self._subscriptions = []
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                now = self._clock()
                if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
                    self._pruned_at = now
                    await self.prune()
                if await self._any_endpoint():
                    await self.deliver_due()
                    pause = await self._seconds_to_next()
                else:
                    pause = RECHECK_SECONDS
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook deliveries failed; trying again shortly")
                pause = 5.0
            # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow the task's cancellation when
            # the wake-up comes at the same moment (stop() then waited for ever).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wake.wait()
                    # Woken by an event: let the events that come with it gather, so a busy server looks at
                    # the outbox some times a second, not once per message (ingest fell from 361 to 244
                    # messages/s when every event cost two queries).
                    await asyncio.sleep(GATHER_SECONDS)

    async def prune(self) -> int:
        """Forget deliveries sent or given up more than the log's days ago (the outbox would otherwise grow by
        every event times every endpoint); how many went. Pending ones stay, however old."""
        cutoff = self._clock() - timedelta(days=self._log_days)
        async with self._db.write() as session:
            gone = await session.execute(
                delete(WebhookDelivery).where(
                    WebhookDelivery.status.in_(("delivered", "dead")), WebhookDelivery.created_at < cutoff
                )
            )
        count = int(gone.rowcount)  # type: ignore[attr-defined]
        if count:
            log.info("webhook delivery log: forgot %d deliveries older than %d days", count, self._log_days)
        return count

    async def _seconds_to_next(self) -> float:
        async with self._db.read() as session:
            nearest = await session.scalar(
                select(func.min(WebhookDelivery.next_attempt_at))
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .where(WebhookDelivery.status == "pending", Webhook.active.is_(True))
            )
        if nearest is None:
            return 60.0
        return min(60.0, max(0.05, (nearest - self._clock()).total_seconds()))

    async def deliver_due(self) -> int:
        """Send every delivery due now, and return how many were tried. Each conversation's (or service's)
        due deliveries for an endpoint go as one chain, one after another, stopping at the first that is not
        delivered; up to `parallel` chains at once; every outcome of a round written in one transaction.
        Repeats while a round found work."""
        tried = 0
        limit = asyncio.Semaphore(self._parallel)

        async def send(chain: list[_Due]) -> list[tuple[_Due, _Answer | None]]:
            async with limit:
                return await self._send_chain(chain)

        while True:
            chains = await self._claim()
            if not chains:
                return tried
            rounds = await asyncio.gather(*(send(chain) for chain in chains))
            outcomes = [outcome for chain in rounds for outcome in chain]
            await self._record(outcomes)
            tried += sum(answer is not None for _, answer in outcomes)

    async def _claim(self) -> list[list[_Due]]:
        """The due deliveries, in chains per (endpoint, ordering key), each claimed with a lease long enough
        for its chain. A delivery is due when nothing earlier of its key still waits for a later retry or is
        being sent by another process."""
        self.looks += 1
        now = self._clock()
        earlier = aliased(WebhookDelivery)
        blocked = (
            select(earlier.seq)
            .where(
                earlier.webhook_id == WebhookDelivery.webhook_id,
                earlier.ordering_key == WebhookDelivery.ordering_key,
                earlier.status == "pending",
                earlier.seq < WebhookDelivery.seq,
                (earlier.next_attempt_at > now) | (earlier.claimed_until >= now),
            )
            .exists()
        )
        async with self._db.read() as session:
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.seq,
                        WebhookDelivery.id,
                        WebhookDelivery.event,
                        WebhookDelivery.body,
                        WebhookDelivery.attempts,
                        Webhook.url,
                        Webhook.secret,
                        Webhook.format,
                        WebhookDelivery.webhook_id,
                        WebhookDelivery.ordering_key,
                    )
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(
                        WebhookDelivery.status == "pending",
                        WebhookDelivery.next_attempt_at <= now,
                        WebhookDelivery.claimed_until.is_(None) | (WebhookDelivery.claimed_until < now),
                        Webhook.active.is_(True),
                        ~blocked,
                    )
                    .order_by(WebhookDelivery.seq)
                    .limit(ROUND)
                )
            ).all()
        if not rows:
            return []
        grouped: dict[tuple[int, str], list[_Due]] = {}
        for row in rows:
            chain = grouped.setdefault((row.webhook_id, row.ordering_key), [])
            if len(chain) < CHAIN:
                chain.append(_Due(*row[:8]))
        claimed: list[list[_Due]] = []
        async with self._db.write() as session:
            for chain in grouped.values():
                lease = now + timedelta(seconds=self._timeout * len(chain) + 5)
                won: list[_Due] = []
                for due in chain:  # in order: a link another process holds ends the chain here
                    update_ = await session.execute(
                        update(WebhookDelivery)
                        .where(  # still as it was read: not tried since, nor claimed by a live lease
                            WebhookDelivery.seq == due.seq,
                            WebhookDelivery.status == "pending",
                            WebhookDelivery.attempts == due.attempts,
                            WebhookDelivery.next_attempt_at <= now,
                            WebhookDelivery.claimed_until.is_(None) | (WebhookDelivery.claimed_until < now),
                        )
                        .values(claimed_until=lease)
                        .execution_options(synchronize_session=False)
                    )
                    if update_.rowcount != 1:  # type: ignore[attr-defined]
                        break
                    won.append(due)
                if won:
                    claimed.append(won)
        return claimed

    async def _send_chain(self, chain: list[_Due]) -> list[tuple[_Due, _Answer | None]]:
        """Each delivery in turn until one is not delivered; the rest are given back untried (None). The
        endpoint's name is resolved (and checked) once for the chain; every POST goes to that address."""
        outcomes: list[tuple[_Due, _Answer | None]] = []
        try:
            address: str | RefusedAddress = await self._guard.address_for(chain[0].url)
        except RefusedAddress as refused:
            address = refused
        going = True
        for due in chain:
            answer = await self._post(due, address) if going else None
            outcomes.append((due, answer))
            going = answer is not None and answer.outcome == "delivered"
        return outcomes

    async def _record(self, outcomes: list[tuple[_Due, _Answer | None]]) -> None:
        now = self._clock()
        async with self._db.write() as session:
            for due, answer in outcomes:
                values: dict[str, object] = {"claimed_until": None}
                if answer is not None:
                    values |= self._result(due, answer, now)
                await session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.seq == due.seq)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )

    def _result(self, due: _Due, answer: _Answer, now: datetime) -> dict[str, object]:
        """What an attempt's answer changes in its row; counted and logged."""
        attempts = due.attempts + 1
        outcome = "dead" if answer.outcome == "retried" and attempts >= self._attempts else answer.outcome
        values: dict[str, object] = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status": answer.status,
            "last_answer": answer.text[:ANSWER_KEPT],
            "status": {"delivered": "delivered", "dead": "dead"}.get(outcome, "pending"),
        }
        if outcome == "retried":
            values["next_attempt_at"] = now + timedelta(seconds=self._delay(attempts, answer.retry_after))
        self.outcomes[outcome] += 1
        if outcome == "delivered":
            log.info("webhook %s delivered to %s (%s)", due.event, due.url, answer.status)
        else:
            what = "will retry" if outcome == "retried" else "given up"
            log.warning(
                "webhook %s to %s: %s on attempt %d of %d (%s)",
                due.event,
                due.url,
                what,
                attempts,
                self._attempts,
                answer.text[:200],
            )
        return values

    def _delay(self, attempts: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter: about backoff x 2^(attempts-1), drawn from its upper half."""
        delay = self._backoff * 2 ** (attempts - 1)
        delay = random.uniform(delay / 2, delay)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, MAX_DELAY_SECONDS)

    async def _post(self, due: _Due, address: str | RefusedAddress) -> _Answer:
        assert self._client is not None, "the worker is not started"
        if isinstance(address, RefusedAddress):
            return _Answer("dead", None, f"refused: {address}")
        content = due.body.encode()
        if due.format == "slack":
            content = json.dumps({"text": slack_text(json.loads(due.body), self._console_url)}).encode()
        timestamp = str(int(time.time()))
        parts = urlsplit(due.url)
        host = parts.hostname or ""
        netloc = f"[{address}]" if ":" in address else address
        if parts.port:
            netloc += f":{parts.port}"
        headers = {
            "Content-Type": "application/json",
            "Host": parts.netloc.rpartition("@")[2],
            "User-Agent": "Handoff-Webhooks",
            EVENT_HEADER: due.event,
            DELIVERY_HEADER: due.id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(due.secret, timestamp, content),
        }
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        try:
            async with self._client.stream(
                "POST", pinned, content=content, headers=headers, extensions={"sni_hostname": host}
            ) as response:
                read = b""
                async for chunk in response.aiter_bytes():
                    read += chunk
                    if len(read) >= ANSWER_LIMIT:
                        break
        except httpx.TimeoutException:
            return _Answer("retried", None, f"timed out after {self._timeout:g} s")
        except httpx.HTTPError as error:
            return _Answer("retried", None, f"{type(error).__name__}: {error}"[:ANSWER_KEPT])
        text = f"HTTP {response.status_code}: " + read[:ANSWER_KEPT].decode("utf-8", "replace")
        if response.is_success:
            return _Answer("delivered", response.status_code, text)
        if response.status_code == 429 or response.status_code >= 500:
            return _Answer("retried", response.status_code, text, _retry_after(response.headers))
        return _Answer("dead", response.status_code, text)


def _retry_after(headers: httpx.Headers) -> float | None:
    try:
        return min(MAX_DELAY_SECONDS, max(0.0, float(headers.get("retry-after", ""))))
    except ValueError:
        return None
