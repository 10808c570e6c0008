"""Simulated customers for `serve --demo`: a believable stream of conversations from varied cities, with
answerable and unanswerable questions; some turn negative, some ask for a human, some rate an answer down,
so every kind of attention flag appears within the first minute. Demo conversations are marked as such."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass

from handoff.conversations import Location
from handoff.core import Core
from handoff.errors import HandoffError

log = logging.getLogger(__name__)

CITIES = [
    ("Berlin", "Berlin", "DE"),
    ("Lyon", "Auvergne-Rhône-Alpes", "FR"),
    ("Austin", "Texas", "US"),
    ("Osaka", "Osaka", "JP"),
    ("Manchester", "England", "GB"),
    ("Toronto", "Ontario", "CA"),
    ("Melbourne", "Victoria", "AU"),
    ("São Paulo", "São Paulo", "BR"),
    ("Madrid", "Madrid", "ES"),
    ("Warsaw", "Mazovia", "PL"),
    ("Dublin", "Leinster", "IE"),
    ("Seattle", "Washington", "US"),
]
NAMES = ["Sam", "Ana", "Li", "Omar", "Ingrid", "Kofi", "Priya", "Mateo", "Yuki", "Zoe", "Lars", "Amara"]
ANSWERABLE = {
    "shop": [
        "Where is my parcel?",
        "Do students get a discount?",
        "Do you ship to Canada?",
        "Can I pay with PayPal?",
        "How do I return a shirt that doesn't fit?",
        "How much is shipping?",
        "My package arrived broken",
        "Do you sell gift cards?",
    ],
    "helpdesk": [
        "I forgot my password",
        "My router light is blinking red",
        "The app keeps crashing",
        "How do I download my invoices?",
        "Why was I charged twice?",
        "How do I change my plan?",
    ],
}
GENERIC = [
    "Hi, I have a question about my account",
    "How do I get started?",
    "Can you help me with an order?",
]
UNANSWERABLE = [
    "Can you recommend a good restaurant nearby?",
    "Who won the football match yesterday?",
    "Do you sell spaceships?",
    "What's the weather tomorrow?",
    "Can you write me a poem?",
]
NEGATIVE = [
    "Still waiting after two weeks. This is ridiculous!",
    "Your service is useless, nothing works.",
    "I've been on hold for 40 minutes, unacceptable.",
]
HUMAN = ["Can I talk to a real person please?", "I want to speak to an agent", "get me a human"]
THANKS = ["Thanks, that helps!", "Great, thank you!", "Perfect, thanks a lot."]
PERSONAS = ("unanswered", "thumbs_down", "negative", "asks_human", "happy", "button_human")


@dataclass
class DemoCustomers:
    core: Core
    seed: int | None = None
    max_active: int = 30
    pace: float = 1.0  # multiplies every pause (tests run the same story faster)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._task: asyncio.Task[None] | None = None
        self._customers: set[asyncio.Task[None]] = set()

    def tasks(self) -> int:
        """The demo's own tasks: its arrivals and one per simulated customer."""
        return len(self._customers) + (self._task is not None and not self._task.done())

    async def start(self) -> None:
        self._task = asyncio.create_task(self._arrivals())

    async def stop(self) -> None:
        for task in [self._task, *self._customers]:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _arrivals(self) -> None:
        count = 0
        while True:
            services = await self.core.services.all()
            if services and len(self._customers) < self.max_active:
                persona = PERSONAS[count] if count < len(PERSONAS) else self._rng.choice(PERSONAS)
                task = asyncio.create_task(self._customer(self._rng.choice(services).slug, persona))
                self._customers.add(task)
                task.add_done_callback(self._customers.discard)
                count += 1
            await self._pause(self._rng.uniform(2.0, 6.0) if count > len(PERSONAS) else 1.5)

    async def _customer(self, slug: str, persona: str) -> None:
        try:
            await self._converse(slug, persona)
        except HandoffError as error:  # the conversation ended or changed hands under us: fine in a demo
            log.debug("demo customer stopped: %s", error)
        except Exception:
            log.exception("demo customer failed")

    async def _converse(self, slug: str, persona: str) -> None:
        rng = self._rng
        city, region, country = rng.choice(CITIES)
        question = rng.choice(UNANSWERABLE if persona == "unanswered" else ANSWERABLE.get(slug, GENERIC))
        started = await self.core.conversations.start(
            service_slug=slug,
            text=question,
            customer_name=rng.choice(NAMES),
            location=Location(city=city, region=region, country=country),
            is_demo=True,
        )
        cid = started.conversation.id
        conversations = self.core.conversations
        answer = await self._wait_for_ai(cid)
        await self._pause(rng.uniform(2, 6))
        if persona == "thumbs_down" and answer is not None:
            await conversations.rate(conversation_id=cid, message_id=answer, value="down")
            await conversations.add_customer_message(
                conversation_id=cid, text="That doesn't answer my question."
            )
        elif persona == "negative":
            await conversations.add_customer_message(conversation_id=cid, text=rng.choice(NEGATIVE))
        elif persona in ("asks_human", "unanswered"):
            await conversations.add_customer_message(conversation_id=cid, text=rng.choice(HUMAN))
        elif persona == "button_human":
            await conversations.request_human(conversation_id=cid)
        else:
            if answer is not None:
                await conversations.rate(conversation_id=cid, message_id=answer, value="up")
            await conversations.add_customer_message(conversation_id=cid, text=rng.choice(THANKS))
        await self._pause(rng.uniform(40, 120))
        while (await conversations.get(cid)).status == "paused":  # a human is on it: stay a while
            await self._pause(15)
            if rng.random() < 0.1:
                break
        await conversations.end(conversation_id=cid)

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.pace)

    async def _wait_for_ai(self, conversation_id: str) -> int | None:
        for _ in range(20):
            await self._pause(0.5)
            messages = await self.core.conversations.messages(conversation_id)
            ai = [m.id for m in messages if m.role == "ai"]
            if ai:
                return ai[-1]
        return None
